import _UltraDictFuzzing

/// libFuzzer's entry point: one input for `FuzzSurface.updateLog`.
@_cdecl("LLVMFuzzerTestOneInput")
public func testOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    FuzzSurface.updateLog.fuzzOneInput(data, size)
}
