// swift-tools-version:6.1
import PackageDescription

/// Coverage-guided fuzz targets (libFuzzer) for every reader of untrusted input. Built by
/// `scripts/fuzz.sh` with `-sanitize=fuzzer,address`; each product is one target.
let targets = ["csv", "arff", "npy", "idx", "pipeline", "archive"]

let package = Package(
    name: "AnomSynthFuzz",
    dependencies: [.package(name: "AnomSynth", path: "..")],
    targets: [
        .target(name: "FuzzTargets", dependencies: [.product(name: "AnomSynthInputs", package: "AnomSynth")], path: "Sources/FuzzTargets"),
    ] + targets.map { name in
        .executableTarget(name: "fuzz-\(name)", dependencies: ["FuzzTargets"], path: "Sources/fuzz-\(name)",
                          swiftSettings: [.unsafeFlags(["-parse-as-library"])],
                          linkerSettings: [.unsafeFlags(["-use-ld=lld"])])
    }
)
