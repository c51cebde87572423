extension Money {
    /// Reads PostgreSQL's `numeric` text exactly, or `nil` for anything else.
    ///
    /// Unlike `Decimal(string:)`, which takes "12abc" as 12, the whole text must be a number:
    /// an optional leading minus, 1 to 18 significant integer digits, and optionally a point
    /// followed by decimals; decimals beyond the sixth must be zeros, so nothing is rounded.
    /// No spaces, plus sign, exponent, grouping separator, "NaN" or "Infinity".
    public init?(exactly text: String) {
        guard case .success(let money) = Money.parse(text) else { return nil }
        self = money
    }

    /// Same rules as ``init(exactly:)``, but says what was wrong, for messages that name the
    /// offending value.
    public init(parsing text: String) throws(MoneyError) {
        self = try Money.parse(text).get()
    }

    /// Reads UTF-8 bytes directly (for example a libpq text result via `PQgetvalue` and
    /// `PQgetlength`), so that loading millions of amounts builds no intermediate `String`.
    /// Same rules as ``init(exactly:)``.
    public init?(exactlyUTF8 bytes: UnsafeBufferPointer<UInt8>) {
        guard let microUnits = DecimalParser.parse(bytes).value else { return nil }
        self.init(uncheckedMicroUnits: microUnits)
    }

    private static func parse(_ text: String) -> Result<Money, MoneyError> {
        var text = text
        let outcome = text.withUTF8 { DecimalParser.parse($0) }
        switch outcome {
        case .value(let microUnits):
            return .success(Money(uncheckedMicroUnits: microUnits))
        case .notADecimalNumber:
            return .failure(.notADecimalNumber(text: text))
        case .tooManyDecimals:
            return .failure(.tooManyDecimals(text: text))
        case .tooManyIntegerDigits:
            return .failure(.tooManyIntegerDigits(text: text))
        }
    }
}
