import CKernels
import Foundation

/// Which kernel runs matrix products, and what a run records of it.
///
/// Products run on AnomSynth's own fixed-order GEMM (`Sources/CKernels`): every element of a
/// product is one chain of fused multiply-adds in the order of the inner index, and vector
/// units only ever hold different elements side by side. So the AVX-512, AVX2 and portable
/// kernels, and any split of a product over threads, give the same bits: a seed gives the
/// same models and metrics on every CPU without pinning a slower kernel. (OpenBLAS picks a
/// kernel per CPU whose blocking of the inner index, and so whose rounding, differs.)
public enum ProductKernel {
    /// The environment variable that chooses a kernel (`avx512`, `avx2`, `portable`):
    /// results are the same; it exists to check that, and to measure the kernels.
    public static let selectionVariable = "ANOMSYNTH_GEMM"

    /// The instruction sets of the kernels, fastest first.
    public enum InstructionSet: String, CaseIterable, Sendable {
        case avx512, avx2, portable

        var code: anomsynth_gemm_isa {
            switch self {
            case .avx512: ANOMSYNTH_GEMM_AVX512
            case .avx2: ANOMSYNTH_GEMM_AVX2
            case .portable: ANOMSYNTH_GEMM_PORTABLE
            }
        }

        /// Whether this CPU can run the kernel.
        public var isSupported: Bool { anomsynth_gemm_supports(code) != 0 }
    }

    /// The kernel products run on now (the fastest the CPU has, unless one was chosen).
    public static var instructionSet: InstructionSet {
        let current = anomsynth_gemm_current_isa()
        return InstructionSet.allCases.first { $0.code == current } ?? .portable
    }

    /// Makes products run on `set`; false (and no change) when the CPU cannot run it.
    /// Call before any product runs.
    @discardableResult
    public static func use(_ set: InstructionSet) -> Bool {
        _ = environmentSelection  // applied first, so that it never overrides this choice later
        return anomsynth_gemm_use(set.code) != 0
    }

    /// `ANOMSYNTH_GEMM` of this process, applied once, before its first product (so it holds
    /// in every process: the CLI, tests, a library user): nil, or the warning of
    /// `applySelection` (the CLI prints it).
    public static let environmentSelection: String? = applySelection(from: ProcessInfo.processInfo.environment)

    /// Applies `ANOMSYNTH_GEMM` when it is set; returns a warning when it names no kernel
    /// or one this CPU cannot run (products then use the fastest kernel: same results).
    public static func applySelection(from environment: [String: String]) -> String? {
        guard let name = environment[selectionVariable], !name.isEmpty else { return nil }
        guard let set = InstructionSet(rawValue: name.lowercased()) else {
            let names = InstructionSet.allCases.map(\.rawValue).joined(separator: ", ")
            return "\(selectionVariable)=\(name) names no kernel (expected one of \(names)); using \(instructionSet.rawValue)"
        }
        guard anomsynth_gemm_use(set.code) != 0 else { return "this CPU cannot run the \(set.rawValue) kernel (\(selectionVariable)); using \(instructionSet.rawValue)" }
        return nil
    }

    /// What a run records of its products: the same on every machine, since every kernel
    /// gives the same bits. Bump `version` whenever the order of any sum changes.
    public static let provenance = KernelProvenance(library: "AnomSynth GEMM", version: "1", kernel: "fixed-order FMA", pinned: true)
}

/// The matrix-product library a run used (`provenance.blas` in `metrics.json`).
public struct KernelProvenance: Codable, Equatable, Sendable, CustomStringConvertible {
    public var library: String
    public var version: String
    /// How products are computed (for AnomSynth's GEMM: its summation order, not the CPU's instruction set).
    public var kernel: String
    /// True when results equal every other pinned run's, whatever the machine.
    public var pinned: Bool

    public init(library: String, version: String, kernel: String, pinned: Bool) {
        self.library = library
        self.version = version
        self.kernel = kernel
        self.pinned = pinned
    }

    /// `AnomSynth GEMM 1, kernel fixed-order FMA (pinned)`.
    public var description: String {
        "\(library) \(version), kernel \(kernel) " + (pinned ? "(pinned)" : "(results depend on the CPU)")
    }

    /// What identifies results computed with this library, for cache keys.
    public var identity: String { "\(library) \(version) \(kernel)" }
}
