/// A code as PostgreSQL stores it (a customer or vendor account, a customer group, a ledger
/// account, a currency, a voucher): compared, hashed and ordered by its UTF-8 bytes.
///
/// Swift's `String` compares by Unicode canonical equivalence, so `"CAF\u{C9}"` (NFC) and
/// `"CAFE\u{301}"` (NFD) are one `String` key, while PostgreSQL's keys are bytes and keep them
/// as two accounts (PRODUCT.md §1, Precisions: codes are compared byte for byte). Every code
/// in the engine's inputs and plans is a `Code`, so a dictionary, set, sort or `==` on codes
/// cannot fall back to Unicode rules by accident: the compiler refuses to mix it with `String`.
///
/// Order is the bytes' lexicographic order, which is PostgreSQL's `COLLATE "C"`. The engine
/// sorts only within one customer (currency, then ledger account: the order of its
/// reimbursements, debits and voucher lines), so that order is deterministic whatever the
/// database's collation; customers themselves come in the database's `ORDER BY account`.
public struct Code: Sendable, Hashable, Comparable {
    /// The code's text, exactly as read from (and written back to) the database.
    public let text: String

    /// Wraps a code's text; the bytes are kept as they are (no normalisation).
    public init(_ text: String) {
        self.text = text
    }

    /// Same UTF-8 bytes.
    public static func == (lhs: Code, rhs: Code) -> Bool {
        let left = lhs.text.utf8
        let right = rhs.text.utf8
        guard left.count == right.count else { return false }
        let compared = left.withContiguousStorageIfAvailable { leftBytes in
            right.withContiguousStorageIfAvailable { rightBytes in leftBytes.elementsEqual(rightBytes) }
        }
        return (compared ?? nil) ?? left.elementsEqual(right)
    }

    /// Byte order (PostgreSQL's `COLLATE "C"`).
    public static func < (lhs: Code, rhs: Code) -> Bool {
        lhs.text.utf8.lexicographicallyPrecedes(rhs.text.utf8)
    }

    /// Hashes the bytes (and their count, so that no code is a prefix collision of another).
    public func hash(into hasher: inout Hasher) {
        let bytes = text.utf8
        hasher.combine(bytes.count)
        let hashedInPlace: Void? = bytes.withContiguousStorageIfAvailable { hasher.combine(bytes: UnsafeRawBufferPointer($0)) }
        if hashedInPlace == nil {
            for byte in bytes { hasher.combine(byte) }
        }
    }
}

extension Code: CustomStringConvertible {
    /// The text itself, for messages.
    public var description: String { text }
}

extension Code: ExpressibleByStringLiteral, ExpressibleByStringInterpolation {
    /// `"C-001"` as a code: for tests and fixed codes.
    public init(stringLiteral value: String) {
        self.init(value)
    }

    /// `"C-\(n)"` as a code.
    public init(stringInterpolation: DefaultStringInterpolation) {
        self.init(String(stringInterpolation: stringInterpolation))
    }
}
