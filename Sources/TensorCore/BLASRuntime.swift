import CBLAS

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Which OpenBLAS kernel products run on, and what a run records of it.
///
/// Debian's OpenBLAS is built with `DYNAMIC_ARCH`: it picks its sgemm kernel for the
/// CPU when it is loaded, and kernels round differently, so a trained model (and every
/// metric after it) would depend on the machine. AnomSynth pins one kernel per
/// architecture instead: the executable sets `OPENBLAS_CORETYPE` to ``pinnedKernel``
/// and starts itself again before OpenBLAS reads it (see the CLI's `KernelPin`). The
/// environment variable `ANOMSYNTH_BLAS=native` opts out: the fastest kernel for the
/// CPU, results then depend on the CPU.
public enum BLASRuntime {
    /// The environment variable that opts out of the pinned kernel (`native`).
    public static let policyVariable = "ANOMSYNTH_BLAS"
    /// The environment variable OpenBLAS reads, once, when it is loaded.
    public static let coreTypeVariable = "OPENBLAS_CORETYPE"

    /// The kernel AnomSynth pins on this architecture: `Haswell` on x86-64 (AVX2 and FMA,
    /// the same code on Intel since Haswell and AMD since Zen), `ARMV8` (the generic
    /// NEON kernel) on arm64; nil where OpenBLAS has no choice to pin.
    public static var pinnedKernel: String? {
        #if arch(x86_64)
        return "Haswell"
        #elseif arch(arm64)
        return "ARMV8"
        #else
        return nil
        #endif
    }

    /// Whether the user asked for the CPU's own kernel (`ANOMSYNTH_BLAS=native`).
    public static var nativeRequested: Bool {
        guard let value = getenv(policyVariable) else { return false }
        return String(cString: value).lowercased() == "native"
    }

    /// The library as it reports itself, e.g. `OpenBLAS 0.3.21 NO_LAPACKE DYNAMIC_ARCH ... Haswell MAX_THREADS=64`.
    public static var configuration: String {
        guard let text = openblas_get_config() else { return "OpenBLAS (unknown configuration)" }
        return String(cString: text).trimmingTrailingSpaces()
    }

    /// The kernel OpenBLAS chose when it was loaded, e.g. `Haswell`.
    public static var kernel: String {
        guard let text = openblas_get_corename() else { return "unknown" }
        return String(cString: text).trimmingTrailingSpaces()
    }

    /// What a run records of its BLAS: library, version, kernel and whether the kernel
    /// was pinned (same bytes on every machine) or the CPU's own (results depend on it).
    public static var provenance: BLASProvenance {
        let words = configuration.split(separator: " ").map(String.init)
        let pinned = pinnedKernel.map { $0.lowercased() == kernel.lowercased() } ?? false
        return BLASProvenance(library: words.first ?? "OpenBLAS", version: words.count > 1 ? words[1] : "unknown",
                              kernel: kernel, pinned: pinned)
    }
}

/// The BLAS a run used (recorded in `metrics.json`, printed by `--version`).
public struct BLASProvenance: Codable, Equatable, Sendable, CustomStringConvertible {
    public var library: String
    public var version: String
    public var kernel: String
    /// True when the kernel is AnomSynth's pinned one: results equal every other pinned run's.
    public var pinned: Bool

    public init(library: String, version: String, kernel: String, pinned: Bool) {
        self.library = library
        self.version = version
        self.kernel = kernel
        self.pinned = pinned
    }

    /// `OpenBLAS 0.3.21, kernel Haswell (pinned)`.
    public var description: String {
        "\(library) \(version), kernel \(kernel) " + (pinned ? "(pinned)" : "(the CPU's own: results depend on the CPU)")
    }

    /// What identifies results computed with this BLAS, for cache keys: `OpenBLAS 0.3.21 Haswell`.
    public var identity: String { "\(library) \(version) \(kernel)" }
}

private extension String {
    func trimmingTrailingSpaces() -> String {
        var text = self
        while text.last == " " || text.last == "\n" { text.removeLast() }
        return text
    }
}
