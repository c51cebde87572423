import Foundation

/// Where `/metrics` listens: `--metrics-address HOST:PORT` or `REIMBURSE_METRICS_ADDRESS`.
///
/// HOST is an IP address, IPv6 in brackets (`127.0.0.1:9715`, `[::1]:9715`, `0.0.0.0:9715` for
/// every interface), or `localhost` (taken as 127.0.0.1, so it never depends on name
/// resolution). PORT is 1-65535. Host names are refused: an exporter should bind where the
/// operator says, not wherever a name happens to resolve.
public struct MetricsAddress: Sendable, Equatable, CustomStringConvertible {
    public enum Family: Sendable, Equatable {
        case ipv4, ipv6
    }

    public let host: String
    public let port: UInt16
    public let family: Family

    /// Parses `text`; the error says what is wrong with it, in one line.
    public init(parsing text: String) throws(MetricsAddressError) {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        guard let colon = trimmed.lastIndex(of: ":") else {
            throw MetricsAddressError(text, "it has no :PORT")
        }
        var host = String(trimmed[..<colon])
        let portText = trimmed[trimmed.index(after: colon)...]
        guard let port = UInt16(portText), port > 0 else {
            throw MetricsAddressError(text, "the port must be a number from 1 to 65535")
        }
        if host.hasPrefix("[") && host.hasSuffix("]") {
            host = String(host.dropFirst().dropLast())
            guard Self.isIPv6(host) else { throw MetricsAddressError(text, "[\(host)] is not an IPv6 address") }
            family = .ipv6
        } else if host == "localhost" {
            host = "127.0.0.1"
            family = .ipv4
        } else if Self.isIPv4(host) {
            family = .ipv4
        } else if Self.isIPv6(host) {
            throw MetricsAddressError(text, "write an IPv6 address in brackets, e.g. [::1]:9715")
        } else {
            throw MetricsAddressError(text, "the host must be an IP address or localhost, e.g. 127.0.0.1:9715")
        }
        self.host = host
        self.port = port
    }

    public var description: String { family == .ipv6 ? "[\(host)]:\(port)" : "\(host):\(port)" }

    static func isIPv4(_ text: String) -> Bool {
        var address = in_addr()
        return inet_pton(AF_INET, text, &address) == 1
    }

    static func isIPv6(_ text: String) -> Bool {
        var address = in6_addr()
        return inet_pton(AF_INET6, text, &address) == 1
    }
}

/// A `--metrics-address` that cannot be used, with the reason.
public struct MetricsAddressError: Error, CustomStringConvertible {
    public let description: String

    init(_ text: String, _ reason: String) {
        description = "metrics address '\(text)' is not HOST:PORT: \(reason)"
    }
}
