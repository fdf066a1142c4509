import Foundation
import Logging

/// Diagnostics on standard error through swift-log. The level comes from
/// `ANOMSYNTH_LOG_LEVEL` (trace, debug, info, notice, warning, error, critical;
/// default `warning`), so results on standard output stay clean for scripts.
enum Log {
    static let logger: Logger = {
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            let configured = ProcessInfo.processInfo.environment["ANOMSYNTH_LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:))
            handler.logLevel = configured ?? .warning
            return handler
        }
        return Logger(label: "anomsynth")
    }()
}
