// swift-tools-version:6.1
import PackageDescription

/// The numeric kernels index raw buffers in hot loops; their bounds are checked
/// once per call, so release builds drop the per-element checks. On x86-64 they
/// also target Haswell's AVX2/FMA (every x86 server CPU since 2013), so that the
/// elementwise loops vectorize 8 floats wide instead of SSE2's 4.
#if arch(x86_64)
let vectorFlags = ["-target-cpu", "haswell"]
#else
let vectorFlags: [String] = []
#endif
let uncheckedInRelease: [SwiftSetting] = [.unsafeFlags(["-Ounchecked"] + vectorFlags, .when(configuration: .release))]

let package = Package(
    name: "AnomSynth",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "anomsynth", targets: ["anomsynth"]),
        .library(name: "TensorCore", targets: ["TensorCore"]),
        .library(name: "NeuralNet", targets: ["NeuralNet"]),
        // The readers, model and job files and the pipeline loader, for the fuzz targets in Fuzz/.
        .library(name: "AnomSynthInputs", targets: ["Datasets", "ArchiveIO", "NeuralNet", "Models", "PipelineEngine"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.0"),
    ],
    targets: [
        // The fixed-order matrix product (see ProductKernel): optimized in every build,
        // no contraction of C's own arithmetic, kernels chosen per CPU at run time.
        .target(name: "CKernels", cSettings: [.unsafeFlags(["-O2", "-ffp-contract=off"])]),
        .systemLibrary(
            name: "CArchive", path: "Sources/CArchive", pkgConfig: "libarchive",
            providers: [.apt(["libarchive-dev"])]),
        .systemLibrary(name: "CZlib", path: "Sources/CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(
            name: "CXGBoost", path: "Sources/CXGBoost", pkgConfig: "xgboost",
            providers: [.apt(["libxgboost-dev"])]),
        .target(
            name: "TensorCore", dependencies: ["CKernels"],
            // Swift 5 mode: the parallel kernels hand closures over raw buffers (disjoint
            // writes per part) straight to Dispatch, so the optimizer can inline them.
            swiftSettings: uncheckedInRelease + [.swiftLanguageMode(.v5)]),
        .target(name: "NeuralNet", dependencies: ["TensorCore"], swiftSettings: uncheckedInRelease),
        .target(
            name: "Models", dependencies: ["TensorCore", "NeuralNet", "Datasets", "CKernels", "CXGBoost", .product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: uncheckedInRelease),
        .target(name: "Evaluation", dependencies: ["TensorCore", "Datasets"]),
        .target(name: "Reporting", dependencies: ["TensorCore", "Datasets", "Evaluation", "CZlib"]),
        .target(name: "Benchmarks", dependencies: ["TensorCore", "NeuralNet", "Models"]),
        .target(
            name: "PipelineEngine",
            dependencies: ["TensorCore", "Datasets", "ArchiveIO", "Models", "Evaluation", "Reporting", .product(name: "Crypto", package: "swift-crypto")]),
        .target(name: "Datasets", dependencies: ["TensorCore"], swiftSettings: uncheckedInRelease),
        .target(
            name: "ArchiveIO",
            dependencies: ["Datasets", "TensorCore", "CArchive", "CZlib", .product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: uncheckedInRelease),
        .target(
            name: "AnomSynthCLI",
            dependencies: [
                "TensorCore", "NeuralNet", "Datasets", "ArchiveIO", "Reporting", "PipelineEngine", "Benchmarks",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]),
        .target(name: "CMallocTuning"),
        .executableTarget(name: "anomsynth", dependencies: ["AnomSynthCLI", "CMallocTuning"]),
        .target(name: "TestSupport", dependencies: ["TensorCore", "NeuralNet", "Datasets"], path: "Tests/TestSupport"),
        .testTarget(name: "TensorCoreTests", dependencies: ["TensorCore", "TestSupport"]),
        .testTarget(name: "NeuralNetTests", dependencies: ["NeuralNet", "TestSupport"], exclude: ["Fixtures"]),
        .testTarget(name: "ModelsTests", dependencies: ["Models", "NeuralNet", "Evaluation", "ArchiveIO", "TestSupport"]),
        .testTarget(name: "EvaluationTests", dependencies: ["Evaluation", "Models", "TestSupport"]),
        .testTarget(name: "ReportingTests", dependencies: ["Reporting", "Evaluation", "TestSupport"]),
        .testTarget(name: "DatasetsTests", dependencies: ["Datasets", "TestSupport"]),
        .testTarget(name: "ArchiveIOTests", dependencies: ["ArchiveIO", "Datasets", "TestSupport"]),
        .testTarget(name: "PipelineEngineTests", dependencies: ["PipelineEngine", "ArchiveIO", "Datasets", "Evaluation", "Models", "Reporting", "TensorCore", "TestSupport"]),
        .testTarget(name: "AnomSynthCLITests", dependencies: ["AnomSynthCLI", "ArchiveIO", "Datasets", "Evaluation", "Reporting", "Models", "NeuralNet", "TestSupport"]),
    ]
)
