/// The byte-level reader behind ``Money``'s parsing, kept apart so the `String` and the raw
/// libpq paths share one set of rules.
enum DecimalParser {
    enum Outcome: Equatable {
        case value(Int128)
        case notADecimalNumber
        case tooManyDecimals
        case tooManyIntegerDigits

        var value: Int128? {
            if case .value(let microUnits) = self { return microUnits }
            return nil
        }
    }

    private static let zero = UInt8(ascii: "0")
    private static let nine = UInt8(ascii: "9")
    private static let point = UInt8(ascii: ".")
    private static let minus = UInt8(ascii: "-")

    /// Accepts `-?[0-9]+(\.[0-9]+)?`: the form PostgreSQL prints for `numeric`. At most 18
    /// significant integer digits (leading zeros are free) and 6 decimals, further decimals
    /// only if they are zeros.
    static func parse(_ bytes: UnsafeBufferPointer<UInt8>) -> Outcome {
        var index = 0
        let end = bytes.count
        var negative = false
        if index < end && bytes[index] == minus {
            negative = true
            index += 1
        }
        // Integer part: at least one digit. 18 digits fit UInt64, so no overflow checks.
        var integerPart: UInt64 = 0
        var significantDigits = 0
        let integerStart = index
        while index < end, bytes[index] >= zero, bytes[index] <= nine {
            let digit = UInt64(bytes[index] &- zero)
            if significantDigits > 0 || digit != 0 {
                significantDigits += 1
                if significantDigits > 18 { return scanRest(bytes, from: index, failure: .tooManyIntegerDigits) }
                integerPart = integerPart &* 10 &+ digit
            }
            index += 1
        }
        guard index > integerStart else { return .notADecimalNumber }
        // Fraction: optional, but a point needs at least one digit after it.
        var fraction: UInt64 = 0
        if index < end {
            guard bytes[index] == point else { return .notADecimalNumber }
            index += 1
            let fractionStart = index
            var decimals = 0
            var nonZeroBeyondScale = false
            while index < end, bytes[index] >= zero, bytes[index] <= nine {
                let digit = UInt64(bytes[index] &- zero)
                if decimals < Money.scale {
                    fraction = fraction &* 10 &+ digit
                } else if digit != 0 {
                    nonZeroBeyondScale = true
                }
                decimals += 1
                index += 1
            }
            guard index > fractionStart, index == end else { return .notADecimalNumber }
            if nonZeroBeyondScale { return .tooManyDecimals }
            while decimals < Money.scale {
                fraction &*= 10
                decimals += 1
            }
        }
        let magnitude = Int128(integerPart) * 1_000_000 + Int128(fraction)
        return .value(negative ? -magnitude : magnitude)
    }

    /// A too-long integer part is only reported as such when the rest is a number; otherwise
    /// "1234567890123456789abc" would get the less helpful message.
    private static func scanRest(_ bytes: UnsafeBufferPointer<UInt8>, from start: Int, failure: Outcome) -> Outcome {
        var index = start
        while index < bytes.count, bytes[index] >= zero, bytes[index] <= nine { index += 1 }
        if index == bytes.count { return failure }
        guard bytes[index] == point else { return .notADecimalNumber }
        index += 1
        let fractionStart = index
        while index < bytes.count, bytes[index] >= zero, bytes[index] <= nine { index += 1 }
        return index > fractionStart && index == bytes.count ? failure : .notADecimalNumber
    }
}
