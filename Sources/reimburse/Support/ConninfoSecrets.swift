import Foundation

/// Finds the password in a libpq connection string, so that messages can hide it.
///
/// Both forms libpq accepts are read: a URI (`postgresql://user:secret@host/db` or
/// `?password=secret`) and `key=value` pairs (`password=secret`, quoted or not).
enum ConninfoSecrets {
    static func passwords(in conninfo: String?) -> [String] {
        guard let conninfo, !conninfo.isEmpty else { return [] }
        var found: [String] = []
        if conninfo.hasPrefix("postgresql://") || conninfo.hasPrefix("postgres://") {
            found += uriPasswords(conninfo)
        } else {
            found += keywordPasswords(conninfo)
        }
        // Percent-decoded and raw forms may both appear in messages.
        let decoded = found.compactMap { $0.removingPercentEncoding }
        return Array(Set(found + decoded)).filter { !$0.isEmpty }.sorted { $0.count > $1.count }
    }

    private static func uriPasswords(_ uri: String) -> [String] {
        var found: [String] = []
        let afterScheme = uri.split(separator: "/", maxSplits: 2, omittingEmptySubsequences: false)
        if afterScheme.count == 3 {
            let rest = afterScheme[2]
            let authority = rest.prefix { $0 != "/" && $0 != "?" }
            if let at = authority.lastIndex(of: "@") {
                let userInfo = authority[..<at]
                if let colon = userInfo.firstIndex(of: ":") {
                    found.append(String(userInfo[userInfo.index(after: colon)...]))
                }
            }
        }
        if let query = uri.split(separator: "?", maxSplits: 1).dropFirst().first {
            for pair in query.split(separator: "&") {
                let parts = pair.split(separator: "=", maxSplits: 1)
                if parts.count == 2, parts[0] == "password" { found.append(String(parts[1])) }
            }
        }
        return found
    }

    private static func keywordPasswords(_ conninfo: String) -> [String] {
        var found: [String] = []
        var scanner = conninfo[...]
        while let range = scanner.range(of: "password") {
            var rest = scanner[range.upperBound...].drop { $0 == " " }
            guard rest.first == "=" else { scanner = scanner[range.upperBound...]; continue }
            rest = rest.dropFirst().drop { $0 == " " }
            var value = ""
            if rest.first == "'" {
                rest = rest.dropFirst()
                while let character = rest.first, character != "'" {
                    if character == "\\", let next = rest.dropFirst().first {
                        value.append(next)
                        rest = rest.dropFirst(2)
                    } else {
                        value.append(character)
                        rest = rest.dropFirst()
                    }
                }
            } else {
                value = String(rest.prefix { $0 != " " })
            }
            found.append(value)
            scanner = rest
        }
        return found
    }
}
