import CLibPQ
import Foundation

/// One libpq connection.
///
/// libpq blocks the calling thread, so a connection lives on one thread that its owner controls
/// (see ``PostgresConnectionThread``); it is deliberately not `Sendable`, so the compiler keeps
/// it there. It closes itself when released.
public final class PostgresConnection {
    let handle: OpaquePointer

    /// Opens a connection the way libpq finds its database: `conninfo` is a URI
    /// (`postgresql://...`) or a `key=value` string; nil or empty uses libpq's own defaults
    /// (`PGHOST`, `PGDATABASE`, `PGUSER`, the service file and the password file).
    ///
    /// A failure carries libpq's message and names the host, database and user, never the
    /// password.
    ///
    /// `overrides` replace single settings of `conninfo` (for example `dbname` to reach another
    /// database of the same server) whichever form `conninfo` has.
    public init(
        conninfo: String? = nil, overrides: [String: String] = [:], applicationName: String = "reimburse"
    ) throws {
        // Without a timeout, connecting to an unreachable TCP host blocks the thread for
        // minutes; the conninfo's own connect_timeout, processed later, wins over this one.
        var keywords: [String] = ["fallback_application_name", "connect_timeout"]
        var values: [String] = [applicationName, "10"]
        if let conninfo, !conninfo.isEmpty {
            keywords.append("dbname")
            values.append(conninfo)
        }
        for (keyword, value) in overrides.sorted(by: { $0.key < $1.key }) {
            keywords.append(keyword)
            values.append(value)
        }
        let connection = withArrayOfCStrings(keywords) { keywordPointers in
            withArrayOfCStrings(values) { valuePointers in
                PQconnectdbParams(keywordPointers, valuePointers, 1)
            }
        }
        guard let connection else {
            throw PostgresError(kind: .connectionFailed, message: "libpq could not allocate a connection")
        }
        guard PQstatus(connection) == CONNECTION_OK else {
            let reason = String(cString: PQerrorMessage(connection)).trimmedTrailingNewlines
            let target = Self.describeTarget(connection)
            PQfinish(connection)
            throw PostgresError(kind: .connectionFailed, message: "cannot connect to \(target): \(reason)")
        }
        handle = connection
        PostgresNotice.install(on: connection)
        try prepareSession()
    }

    deinit { PQfinish(handle) }

    /// Timestamps are decoded from ISO text and text is UTF-8; both are asked for here rather
    /// than assumed of the server's configuration.
    func prepareSession() throws {
        if String(cString: PQparameterStatus(handle, "client_encoding")) != "UTF8" {
            guard PQsetClientEncoding(handle, "UTF8") == 0 else {
                throw PostgresError.fromConnection(handle, fallback: "cannot set client encoding to UTF8")
            }
        }
        if !String(cString: PQparameterStatus(handle, "DateStyle")).hasPrefix("ISO") {
            try execute("SET DateStyle TO ISO")
        }
    }

    /// Host, database and user of a connection, for messages; never the password.
    static func describeTarget(_ connection: OpaquePointer) -> String {
        func read(_ value: UnsafeMutablePointer<CChar>?) -> String {
            guard let value else { return "?" }
            let text = String(cString: value)
            return text.isEmpty ? "?" : text
        }
        return "database \"\(read(PQdb(connection)))\" as user \"\(read(PQuser(connection)))\" "
            + "on \"\(read(PQhost(connection)))\""
    }

    /// Host, database and user of this connection.
    public var target: String { Self.describeTarget(handle) }

    /// The server process serving this connection, as `pg_backend_pid()` returns it.
    public var backendPID: Int32 { PQbackendPID(handle) }

    /// The server's version as an integer, e.g. 150018 for 15.18.
    public var serverVersion: Int { Int(PQserverVersion(handle)) }

    /// False once libpq knows the connection is broken.
    public var isConnected: Bool { PQstatus(handle) == CONNECTION_OK }

    /// True while a transaction is open (or failed and not yet rolled back).
    public var isInTransaction: Bool {
        let status = PQtransactionStatus(handle)
        return status == PQTRANS_INTRANS || status == PQTRANS_INERROR || status == PQTRANS_ACTIVE
    }

    /// True when the open transaction failed and only a rollback (to a savepoint) can go on.
    public var isTransactionFailed: Bool { PQtransactionStatus(handle) == PQTRANS_INERROR }

    /// Runs one statement with bound parameters (`$1`, `$2`, …) and returns its rows.
    @discardableResult
    public func execute(_ sql: String, _ parameters: any PostgresEncodable...) throws -> PostgresResult {
        try execute(sql, parameters: parameters)
    }

    /// Runs one statement with bound parameters given as an array.
    @discardableResult
    public func execute(_ sql: String, parameters: [any PostgresEncodable]) throws -> PostgresResult {
        let texts = parameters.map { $0.postgresText }
        let result = withArrayOfOptionalCStrings(texts) { values in
            PQexecParams(handle, sql, Int32(texts.count), nil, values, nil, nil, 0)
        }
        return try check(result)
    }

    /// Runs one or more statements without parameters (for migration files and DDL).
    /// Never pass values through this: there is no binding here.
    public func executeScript(_ sql: String) throws {
        var result = PQexec(handle, sql)
        // PQexec returns only the last result; an error stops the script there.
        _ = try check(result)
        result = nil
    }

    /// Runs a statement and decodes every row with `decode`.
    public func query<T>(
        _ sql: String, _ parameters: any PostgresEncodable..., decode: (PostgresRow) throws -> T
    ) throws -> [T] {
        let result = try execute(sql, parameters: parameters)
        var values: [T] = []
        values.reserveCapacity(result.rowCount)
        for index in 0..<result.rowCount { values.append(try decode(result[index])) }
        return values
    }

    /// Runs a statement that returns at most one value, decoded; nil when there is no row.
    public func queryValue<T: PostgresDecodable>(
        _ type: T.Type = T.self, _ sql: String, _ parameters: any PostgresEncodable...
    ) throws -> T? {
        let result = try execute(sql, parameters: parameters)
        guard let row = result.first else { return nil }
        return try row.decode(type, at: 0)
    }

    /// Turns libpq's result into rows or a ``PostgresError``.
    func check(_ result: OpaquePointer?) throws -> PostgresResult {
        guard let result else {
            throw PostgresError.fromConnection(handle, fallback: "no result from the server")
        }
        switch PQresultStatus(result) {
        case PGRES_COMMAND_OK, PGRES_TUPLES_OK, PGRES_EMPTY_QUERY, PGRES_COPY_IN, PGRES_COPY_OUT,
             PGRES_PIPELINE_SYNC:
            return PostgresResult(taking: result)
        default:
            let error = PostgresError(result: result, connection: handle)
            PQclear(result)
            throw error
        }
    }

    /// Quotes an identifier (a channel, table or role name) for the few statements that cannot
    /// take it as a parameter (LISTEN, CREATE ROLE, SET ROLE).
    public func quoteIdentifier(_ name: String) throws -> String {
        guard let quoted = PQescapeIdentifier(handle, name, name.utf8.count) else {
            throw PostgresError.fromConnection(handle, fallback: "cannot quote identifier")
        }
        defer { PQfreemem(quoted) }
        return String(cString: quoted)
    }

    /// Quotes a string literal for statements that cannot take parameters (e.g. `CREATE ROLE
    /// ... PASSWORD`). Prefer bound parameters everywhere else.
    public func quoteLiteral(_ value: String) throws -> String {
        guard let quoted = PQescapeLiteral(handle, value, value.utf8.count) else {
            throw PostgresError.fromConnection(handle, fallback: "cannot quote literal")
        }
        defer { PQfreemem(quoted) }
        return String(cString: quoted)
    }
}

/// Hands libpq a NULL-terminated array of C strings that live for the call.
func withArrayOfCStrings<R>(_ strings: [String], _ body: (UnsafePointer<UnsafePointer<CChar>?>) -> R) -> R {
    let pointers = strings.map { strdup($0) }
    defer { pointers.forEach { free($0) } }
    var array: [UnsafePointer<CChar>?] = pointers.map { UnsafePointer($0) }
    array.append(nil)
    return array.withUnsafeBufferPointer { body($0.baseAddress!) }
}

/// Like ``withArrayOfCStrings`` but with NULL entries standing for SQL NULL parameters.
func withArrayOfOptionalCStrings<R>(
    _ strings: [String?], _ body: (UnsafePointer<UnsafePointer<CChar>?>?) -> R
) -> R {
    if strings.isEmpty { return body(nil) }
    let pointers = strings.map { $0.map { strdup($0) } ?? nil }
    defer { pointers.forEach { free($0) } }
    let array: [UnsafePointer<CChar>?] = pointers.map { $0.map { UnsafePointer($0) } }
    return array.withUnsafeBufferPointer { body($0.baseAddress!) }
}
