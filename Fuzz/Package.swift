// swift-tools-version:6.1
import PackageDescription

/// Coverage-guided fuzzing (libFuzzer) of every reader of untrusted input: one executable,
/// the target chosen by `FUZZ_TARGET`. Built and run by `scripts/fuzz.sh` with
/// `-sanitize=fuzzer,address`.
let package = Package(
    name: "AnomSynthFuzz",
    dependencies: [.package(name: "AnomSynth", path: "..")],
    targets: [
        .target(name: "FuzzTargets", dependencies: [.product(name: "AnomSynthInputs", package: "AnomSynth")], path: "Sources/FuzzTargets"),
        .executableTarget(name: "anomsynth-fuzz", dependencies: ["FuzzTargets"], path: "Sources/anomsynth-fuzz",
                          swiftSettings: [.unsafeFlags(["-parse-as-library"])],
                          linkerSettings: [.unsafeFlags(["-use-ld=lld"])]),  // gold fails on the sanitized objects
    ]
)
