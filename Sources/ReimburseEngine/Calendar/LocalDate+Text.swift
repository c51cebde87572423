extension LocalDate: CustomStringConvertible {
    /// "YYYY-MM-DD", the ISO form PostgreSQL reads and prints for `date` with the default
    /// `DateStyle`.
    public var description: String {
        let (year, month, day) = components
        return String(unsafeUninitializedCapacity: 10) { buffer in
            func put(_ value: Int, width: Int, at start: Int) {
                var rest = value
                for position in stride(from: start + width - 1, through: start, by: -1) {
                    buffer[position] = UInt8(ascii: "0") + UInt8(rest % 10)
                    rest /= 10
                }
            }
            put(year, width: 4, at: 0)
            buffer[4] = UInt8(ascii: "-")
            put(month, width: 2, at: 5)
            buffer[7] = UInt8(ascii: "-")
            put(day, width: 2, at: 8)
            return 10
        }
    }

    /// Reads exactly "YYYY-MM-DD" (four-digit year, two-digit month and day) of a date that
    /// exists, or `nil`. Anything PostgreSQL would print differently (years beyond 9999, BC
    /// dates, other `DateStyle`s) is refused rather than guessed.
    public init?(exactly text: String) {
        guard case .success(let date) = LocalDate.parse(text) else { return nil }
        self = date
    }

    /// Same rules as ``init(exactly:)``, with a message naming the text.
    public init(parsing text: String) throws(LocalDateError) {
        self = try LocalDate.parse(text).get()
    }

    private static func parse(_ text: String) -> Result<LocalDate, LocalDateError> {
        let bytes = Array(text.utf8)
        guard bytes.count == 10, bytes[4] == UInt8(ascii: "-"), bytes[7] == UInt8(ascii: "-") else {
            return .failure(.notADate(text: text))
        }
        func number(_ range: Range<Int>) -> Int? {
            var value = 0
            for index in range {
                let byte = bytes[index]
                guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
                value = value * 10 + Int(byte - UInt8(ascii: "0"))
            }
            return value
        }
        guard let year = number(0..<4), let month = number(5..<7), let day = number(8..<10) else {
            return .failure(.notADate(text: text))
        }
        guard let date = LocalDate(year: year, month: month, day: day) else {
            return .failure(.noSuchDay(text: text))
        }
        return .success(date)
    }
}
