import CLibPQ

extension PostgresConnection {
    /// libpq's objection to a connection string, or nil when it parses.
    ///
    /// Checked the way ``init(conninfo:overrides:applicationName:)`` passes the string on: a
    /// string with `=` or starting with `postgresql://` or `postgres://` is parsed as a
    /// connection string or URI (`PQconninfoParse`), anything else is a database name and
    /// always acceptable. Only the syntax and the option names are checked here; values such
    /// as `sslmode=bogus` are refused when connecting.
    public static func conninfoProblem(_ conninfo: String) -> String? {
        guard conninfo.contains("=") || conninfo.hasPrefix("postgresql://") || conninfo.hasPrefix("postgres://")
        else { return nil }
        var errorMessage: UnsafeMutablePointer<CChar>?
        guard let options = PQconninfoParse(conninfo, &errorMessage) else {
            defer { if let errorMessage { PQfreemem(errorMessage) } }
            let text = errorMessage.map { String(cString: $0) } ?? "not a connection string"
            return text.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        PQconninfoFree(options)
        return nil
    }
}
