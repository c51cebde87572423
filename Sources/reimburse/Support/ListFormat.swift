import ArgumentParser

/// Output of `jobs`, `job show` and `status`: aligned text for a person, or one JSON object
/// per line for a program.
enum ListFormat: String, CaseIterable, ExpressibleByArgument, Sendable {
    case table
    case json
}
