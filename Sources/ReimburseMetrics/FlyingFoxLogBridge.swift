import FlyingSocks
import Logging

/// FlyingFox's log lines into the daemon's logger (its default prints to stdout), all at
/// debug: a scraper that hangs up is no news, and a server that cannot listen is reported by
/// ``MetricsServer/start()`` itself, in one line.
struct FlyingFoxLogBridge: FlyingSocks.Logging {
    let logger: Logger

    func logDebug(_ debug: @autoclosure () -> String) { logger.debug("http: \(debug())") }
    func logInfo(_ info: @autoclosure () -> String) { logger.debug("http: \(info())") }
    func logWarning(_ warning: @autoclosure () -> String) { logger.debug("http: \(warning())") }
    func logError(_ error: @autoclosure () -> String) { logger.debug("http: \(error())") }
    func logCritical(_ critical: @autoclosure () -> String) { logger.debug("http: \(critical())") }
}
