import Foundation

/// The demo prints the SQL it runs so that a reader can copy it; those statements carry their
/// values inline. Only the demo's own constants and ids pass through here, never user input.
enum SQLLiteral {
    static func text(_ value: String) -> String {
        "'" + value.replacingOccurrences(of: "'", with: "''") + "'"
    }
}
