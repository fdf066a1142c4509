import ArgumentParser
import Foundation

/// Prints a failure to standard error as `error: ...` and maps it to an exit code:
/// 1 for failed work (unreadable data, a failed stage); argument errors stay with
/// the argument parser (exit 2).
func reportingErrors<T>(_ body: () throws -> T) throws -> T {
    do {
        return try body()
    } catch let error as ExitCode {
        throw error
    } catch let error as ValidationError {
        throw error
    } catch {
        FileHandle.standardError.write(Data("error: \(error)\n".utf8))
        throw ExitCode(1)
    }
}
