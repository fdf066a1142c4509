import Foundation

/// Ends this process when the process that started it ends, however that one ends (even
/// `kill -9`, which no signal handler sees): an `exec-stage` child of `run --executor
/// process` must not go on computing a stage for a run that is gone.
enum ParentWatch {
    /// How often the parent is looked for.
    static let interval: TimeInterval = 0.2

    /// When the environment variable `variable` holds the parent's process id, watches for
    /// this process being handed to another parent (the parent died) and then exits at once
    /// with status 1. Without the variable (a scheduler's own job), does nothing.
    static func endWithParent(named variable: String) {
        guard let text = ProcessInfo.processInfo.environment[variable], let parent = pid_t(text), parent > 1 else { return }
        let watcher = Thread {
            while getppid() == parent { Thread.sleep(forTimeInterval: interval) }
            FileHandle.standardError.write(Data("exec-stage: the run that started it (process \(parent)) has ended; stopping\n".utf8))
            _exit(1)
        }
        watcher.start()
    }
}
