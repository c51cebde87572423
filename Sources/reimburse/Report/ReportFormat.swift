import ArgumentParser

/// `table` for a terminal, `csv` for spreadsheets, `json` (one object per line) for programs.
enum ReportFormat: String, CaseIterable, ExpressibleByArgument, Sendable {
    case table
    case csv
    case json
}
