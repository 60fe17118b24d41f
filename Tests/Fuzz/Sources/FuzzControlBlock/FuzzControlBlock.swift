import _UltraDictFuzzing

/// libFuzzer's entry point: one input for `FuzzSurface.controlBlock`.
@_cdecl("LLVMFuzzerTestOneInput")
public func testOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    FuzzSurface.controlBlock.fuzzOneInput(data, size)
}
