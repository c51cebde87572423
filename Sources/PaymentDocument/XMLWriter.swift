/// A small XML 1.0 writer that escapes every piece of text it is given, so that no untrusted
/// text (a vendor name, a remittance line) can open or close an element.
///
/// Element and attribute names are the program's own constants and must be plain ASCII names
/// (`[A-Za-z][A-Za-z0-9]*`); text and attribute values are escaped (`&`, `<`, `>`, `"`, `'`)
/// and characters XML 1.0 cannot carry at all (C0 controls other than tab, line feed and
/// carriage return, U+FFFE, U+FFFF) are dropped. Output is UTF-8 text, indented by two spaces.
public struct XMLWriter: Sendable {
    private var output: String
    private var open: [String] = []

    /// Starts a document with the XML declaration (`version="1.0" encoding="UTF-8"`).
    public init() {
        output = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    }

    /// Opens an element; close it with ``end()``.
    public mutating func start(_ name: String, attributes: [(name: String, value: String)] = []) {
        precondition(Self.isName(name), "not an XML element name: \(name)")
        indent()
        output += "<" + name + Self.attributeText(attributes) + ">\n"
        open.append(name)
    }

    /// Closes the innermost open element.
    public mutating func end() {
        guard let name = open.popLast() else { preconditionFailure("no open element to close") }
        indent()
        output += "</" + name + ">\n"
    }

    /// One element holding escaped text: `<name>text</name>`.
    public mutating func element(_ name: String, _ text: String, attributes: [(name: String, value: String)] = []) {
        precondition(Self.isName(name), "not an XML element name: \(name)")
        indent()
        output += "<" + name + Self.attributeText(attributes) + ">" + Self.escape(text) + "</" + name + ">\n"
    }

    /// The finished document. Every element must be closed.
    public var document: String {
        precondition(open.isEmpty, "unclosed elements: \(open)")
        return output
    }

    /// Escapes text for element content and attribute values alike, dropping what XML 1.0
    /// cannot carry.
    public static func escape(_ text: String) -> String {
        var escaped = ""
        escaped.unicodeScalars.reserveCapacity(text.unicodeScalars.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": escaped += "&amp;"
            case "<": escaped += "&lt;"
            case ">": escaped += "&gt;"
            case "\"": escaped += "&quot;"
            case "'": escaped += "&apos;"
            default:
                if isXMLCharacter(scalar) { escaped.unicodeScalars.append(scalar) }
            }
        }
        return escaped
    }

    /// XML 1.0 `Char`: tab, LF, CR, U+0020–U+D7FF, U+E000–U+FFFD, U+10000–U+10FFFF.
    static func isXMLCharacter(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x9, 0xA, 0xD, 0x20...0xD7FF, 0xE000...0xFFFD, 0x10000...0x10FFFF: true
        default: false
        }
    }

    private static func isName(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, ("a"..."z").contains(first) || ("A"..."Z").contains(first) else {
            return false
        }
        return name.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0) }
    }

    private static func attributeText(_ attributes: [(name: String, value: String)]) -> String {
        var text = ""
        for attribute in attributes {
            precondition(isName(attribute.name), "not an XML attribute name: \(attribute.name)")
            text += " " + attribute.name + "=\"" + escape(attribute.value) + "\""
        }
        return text
    }

    private mutating func indent() {
        output += String(repeating: "  ", count: open.count)
    }
}
