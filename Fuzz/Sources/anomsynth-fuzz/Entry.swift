import Foundation
import FuzzTargets

/// The target `FUZZ_TARGET` names; the process stops at once when it names none.
private let target: @Sendable ([UInt8]) -> Void = {
    let name = ProcessInfo.processInfo.environment["FUZZ_TARGET"] ?? ""
    guard let target = FuzzTargets.all[name] else {
        FileHandle.standardError.write(Data("FUZZ_TARGET must be one of \(FuzzTargets.all.keys.sorted().joined(separator: ", ")), got '\(name)'\n".utf8))
        exit(2)
    }
    return target
}()

/// libFuzzer's entry point: called with each input.
@_cdecl("LLVMFuzzerTestOneInput")
public func testOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    target(FuzzTargets.bytes(data, size))
    return 0
}

/// The process's entry (SwiftPM makes `main` an alias of it): libFuzzer's driver.
@_cdecl("anomsynth_fuzz_main")
public func entry(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> Int32 {
    _ = target  // check the name before libFuzzer starts
    return FuzzTargets.drive(argc, argv, testOneInput)
}
