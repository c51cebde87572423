import ArgumentParser

/// How log lines are written to stderr: `logfmt` for people and journald, `json` for log
/// shippers.
enum LogFormatOption: String, CaseIterable, ExpressibleByArgument, Sendable {
    case logfmt
    case json
}
