public import ReimburseEngine

/// Amounts as a payment file carries them: in the currency's ISO 4217 minor units
/// (``CurrencyMinorUnits``), never rounded.
///
/// ISO 20022's `ActiveOrHistoricCurrencyAndAmount` allows at most 18 digits in all (and 5
/// decimals); a SEPA credit transfer at most 999,999,999.99 EUR (EPC SCT rulebook, AT-04).
public enum PaymentAmount {
    /// The largest SEPA credit transfer, in micro-units: 999,999,999.99 EUR.
    public static let sepaMaximumMicroUnits: Int128 = 999_999_999_990_000

    /// Why `amount` cannot be paid in `currency` (by a SEPA transfer when `sepa`), or nil when
    /// it can. The text is for a person (`reimbursement_skip.detail`).
    public static func problem(_ amount: Money, currency: String, sepa: Bool = false) -> String? {
        guard amount.isPositive else { return "amount \(amount) is not positive" }
        guard let minor = CurrencyMinorUnits.of(currency) else {
            return "currency \(currency) is not an active ISO 4217 currency a bank pays in"
        }
        let unit = power10(Money.scale - minor)
        guard amount.microUnits % unit == 0 else {
            return "amount \(amount) \(currency) has more decimals than the currency's \(minor) (ISO 4217)"
        }
        let integerDigits = String(amount.microUnits / Money.microUnitsPerUnit).count
        guard integerDigits + minor <= 18 else {
            return "amount \(amount) \(currency) has more than the 18 digits an ISO 20022 amount holds"
        }
        if sepa, amount.microUnits > sepaMaximumMicroUnits {
            return "amount \(amount) EUR is above 999999999.99, the largest SEPA credit transfer"
        }
        return nil
    }

    /// `microUnits` written with exactly `minorUnits` decimals (`12.30`, `1235`, `1.234`).
    /// The caller has checked that no digit is lost (``problem(_:currency:sepa:)``).
    public static func text(microUnits: Int128, minorUnits: Int) -> String {
        let unit = power10(Money.scale - minorUnits)
        let value = microUnits / unit
        let scale = power10(minorUnits)
        let sign = value < 0 ? "-" : ""
        let magnitude = value.magnitude
        let integer = String(magnitude / UInt128(scale))
        guard minorUnits > 0 else { return sign + integer }
        let fraction = String(magnitude % UInt128(scale))
        return sign + integer + "." + String(repeating: "0", count: minorUnits - fraction.count) + fraction
    }

    static func power10(_ exponent: Int) -> Int128 {
        var value: Int128 = 1
        for _ in 0..<exponent { value *= 10 }
        return value
    }
}
