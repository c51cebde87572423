/// A `text[]` parameter built element by element straight into the bytes of its array literal
/// (`{"a","b",NULL}`): one pass over each element's UTF-8, no intermediate array of strings.
///
/// Every element is quoted and `"` and `\` are escaped, so any text survives (quotes,
/// backslashes, commas, braces, the word NULL); a nil element is SQL NULL. The literal is bound
/// as a parameter like any other value, never spliced into SQL.
public struct PostgresTextArray: PostgresEncodable {
    private var bytes: [UInt8] = [UInt8(ascii: "{")]
    /// Elements appended so far.
    public private(set) var count = 0

    /// An empty array; `bytes` is a hint of the literal's final size.
    public init(reservingBytes bytes: Int = 0) {
        self.bytes.reserveCapacity(bytes + 2)
    }

    /// Appends the text of `value` (nil or a value whose text is nil: NULL).
    public mutating func append(_ value: (any PostgresEncodable)?) {
        append(text: value?.postgresText)
    }

    /// Appends `text` (nil: NULL).
    public mutating func append(text: String?) {
        if count > 0 { bytes.append(UInt8(ascii: ",")) }
        count += 1
        guard var text else {
            bytes.append(contentsOf: [UInt8(ascii: "N"), UInt8(ascii: "U"), UInt8(ascii: "L"), UInt8(ascii: "L")])
            return
        }
        bytes.append(UInt8(ascii: "\""))
        text.withUTF8 { utf8 in
            for byte in utf8 {
                if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") { bytes.append(UInt8(ascii: "\\")) }
                bytes.append(byte)
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }

    public var postgresText: String? {
        var literal = bytes
        literal.append(UInt8(ascii: "}"))
        return String(decoding: literal, as: UTF8.self)
    }
}
