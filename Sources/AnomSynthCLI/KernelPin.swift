import Foundation
import TensorCore

/// Pins OpenBLAS's kernel before any product runs, so that a seed gives the same bytes
/// on every machine of an architecture.
///
/// OpenBLAS reads `OPENBLAS_CORETYPE` once, while the dynamic loader starts the process,
/// before `main`. So when the variable does not already name the pinned kernel, the
/// executable sets it and replaces itself with a fresh copy (`execv` of
/// `/proc/self/exe`, same arguments, same process id): the new image loads OpenBLAS with
/// the kernel fixed. That costs one exec (about a millisecond) and works whatever
/// started the process (a shell, a test, a Slurm job). `ANOMSYNTH_BLAS=native` skips it.
public enum KernelPin {
    /// Set across the restart only, so a failed restart cannot loop.
    private static let restartMarker = "ANOMSYNTH_BLAS_RESTARTED"

    /// Restarts the process with the pinned kernel when needed; warns on standard error
    /// when the kernel cannot be pinned (the run goes on, and records the kernel it used).
    public static func apply() {
        #if os(Linux)
        let restarted = getenv(restartMarker) != nil
        unsetenv(restartMarker)
        guard !BLASRuntime.nativeRequested, let pinned = BLASRuntime.pinnedKernel else { return }
        let requested = getenv(BLASRuntime.coreTypeVariable).map { String(cString: $0) }
        if requested != pinned, !restarted {
            guard cpuCanRun(pinned) else {
                warn("this CPU cannot run OpenBLAS's \(pinned) kernel (it needs AVX2 and FMA); using the CPU's own kernel, so results depend on the CPU")
                return
            }
            setenv(BLASRuntime.coreTypeVariable, pinned, 1)
            setenv(restartMarker, "1", 1)
            execv("/proc/self/exe", CommandLine.unsafeArgv)
            unsetenv(restartMarker)
            warn("could not restart with \(BLASRuntime.coreTypeVariable)=\(pinned) (\(String(cString: strerror(errno)))); results depend on the CPU")
            return
        }
        if BLASRuntime.kernel.lowercased() != pinned.lowercased() {
            warn("OpenBLAS runs its \(BLASRuntime.kernel) kernel, not the pinned \(pinned) (is it built without DYNAMIC_ARCH?); results may differ from other machines")
        }
        #endif
    }

    /// Whether the CPU has the instructions the kernel needs (from `/proc/cpuinfo`).
    private static func cpuCanRun(_ kernel: String) -> Bool {
        guard kernel == "Haswell" else { return true }
        guard let info = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
              let flags = info.split(separator: "\n").first(where: { $0.hasPrefix("flags") }) else { return true }
        let words = Set(flags.split(separator: " "))
        return words.contains("avx2") && words.contains("fma")
    }

    private static func warn(_ message: String) {
        FileHandle.standardError.write(Data("warning: \(message)\n".utf8))
    }
}
