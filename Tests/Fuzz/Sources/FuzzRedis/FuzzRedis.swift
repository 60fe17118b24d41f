import _UltraDictFuzzing

/// libFuzzer's entry point: one input for `FuzzSurface.redis`.
@_cdecl("LLVMFuzzerTestOneInput")
public func testOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    FuzzSurface.redis.fuzzOneInput(data, size)
}
