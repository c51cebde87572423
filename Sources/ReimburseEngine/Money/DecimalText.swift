/// Prints a count of micro-units as decimal text, the one rule shared by ``Money`` and the
/// error messages that must show a sum which no longer fits in a ``Money``.
///
/// The rule: an optional minus, the integer digits without leading zeros (at least "0"), a
/// point, then the decimals with trailing zeros removed but never fewer than two. So 10 is
/// "10.00", 9.99 is "9.99", 0.5 is "0.50", one micro-unit is "0.000001". Money amounts read
/// naturally, no digit is ever lost, and PostgreSQL's `numeric` input reads the text back to
/// the same value.
enum DecimalText {
    /// Formats any `Int128`, including values beyond `numeric(24,6)` (for messages).
    static func format(microUnits: Int128) -> String {
        let negative = microUnits < 0
        let magnitude = microUnits.magnitude
        let integerPart = magnitude / 1_000_000
        let fraction = UInt64(truncatingIfNeeded: magnitude % 1_000_000)
        if integerPart <= UInt128(UInt64.max) {
            return format(negative: negative, integerPart: UInt64(integerPart), fraction: fraction)
        }
        // Only messages about overflowing sums get here: speed does not matter.
        let head = format(negative: negative, integerPart: 0, fraction: fraction)
        let sign = negative ? "-" : ""
        return sign + String(integerPart) + head.drop(while: { $0 != "." })
    }

    /// The fast path: at most 20 integer digits, built in place without intermediate strings,
    /// because the store prints millions of amounts into COPY data.
    static func format(negative: Bool, integerPart: UInt64, fraction: UInt64) -> String {
        // Longest: "-" + 20 digits + "." + 6 decimals = 28 bytes.
        String(unsafeUninitializedCapacity: 28) { buffer in
            var count = 0
            if negative && (integerPart != 0 || fraction != 0) {
                buffer[count] = UInt8(ascii: "-")
                count += 1
            }
            count = writeDigits(of: integerPart, width: digitCount(integerPart), into: buffer, at: count)
            buffer[count] = UInt8(ascii: ".")
            count += 1
            var decimals = fraction
            var decimalWidth = 6
            while decimalWidth > 2 && decimals % 10 == 0 {
                decimals /= 10
                decimalWidth -= 1
            }
            return writeDigits(of: decimals, width: decimalWidth, into: buffer, at: count)
        }
    }

    private static func digitCount(_ value: UInt64) -> Int {
        var width = 1
        var rest = value
        while rest >= 10 {
            rest /= 10
            width += 1
        }
        return width
    }

    /// Writes exactly `width` digits (zero-padded on the left) and returns the new end.
    private static func writeDigits(
        of value: UInt64, width: Int, into buffer: UnsafeMutableBufferPointer<UInt8>, at start: Int
    ) -> Int {
        var rest = value
        var position = start + width - 1
        while position >= start {
            buffer[position] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: rest % 10)
            rest /= 10
            position -= 1
        }
        return start + width
    }
}
