import FuzzTargets

/// libFuzzer's entry point: called with each input.
@_cdecl("LLVMFuzzerTestOneInput")
public func testOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    FuzzTargets.csv(FuzzTargets.bytes(data, size))
    return 0
}

/// The process's entry (SwiftPM makes `main` an alias of it): libFuzzer's driver.
@_cdecl("fuzz_csv_main")
public func entry(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> Int32 {
    FuzzTargets.drive(argc, argv, testOneInput)
}
