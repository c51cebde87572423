/// One JSON object written field by field, in the order given, for `--format json` of the job
/// commands and `status`: numbers and booleans as JSON numbers and booleans, texts exact
/// (control and bidi characters as `\uXXXX`, see ``JSONLine``), nil as `null`.
struct JSONFields {
    private var text = ""

    mutating func add(_ key: String, _ value: String?) {
        append(key, value.map(JSONLine.string) ?? "null")
    }

    mutating func add<T: BinaryInteger>(_ key: String, _ value: T?) {
        append(key, value.map { String($0) } ?? "null")
    }

    mutating func add(_ key: String, _ value: Bool?) {
        append(key, value.map { $0 ? "true" : "false" } ?? "null")
    }

    /// A value that is JSON already (a `jsonb` column as PostgreSQL prints it).
    mutating func addRaw(_ key: String, json: String?) {
        append(key, json ?? "null")
    }

    private mutating func append(_ key: String, _ json: String) {
        text += (text.isEmpty ? "" : ",") + JSONLine.string(key) + ":" + json
    }

    var object: String { "{" + text + "}" }
}
