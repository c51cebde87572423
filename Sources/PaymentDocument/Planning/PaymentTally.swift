public import ReimburseEngine

/// The counters and totals of a pay job, accumulated chunk by chunk; its `result`:
/// `{"payment": {"selected": n, "paid": n, "skipped": {"<reason>": n, ...}}, "payments": n,
/// "files": n, "totals": {"<currency>": {"amount": "<exact>", "amount_accounting":
/// "<exact>"}}}`. Counts are of vendor invoices: selected, paid (to be paid, in a preview) and
/// left alone per ``PaymentSkipReason`` (every reason present, zero included); `payments`
/// counts `vendor_payment` rows, `files` the `payment_file` rows written at the end; totals are
/// the paid amounts per currency.
public struct PaymentTally: Sendable, Hashable {
    public var selected = 0
    public var paid = 0
    public var files = 0
    public var skipped: [PaymentSkipReason: Int] = [:]
    public var totals: [Code: CurrencyTotal] = [:]

    public init() {}

    /// Counts one planned invoice once it is committed (written, in a preview).
    public mutating func record(_ plan: PaymentPlan) throws(EngineError) {
        switch plan {
        case .skip(let skip):
            skipped[skip.reason, default: 0] += 1
        case .pay(let payment):
            let currency = payment.invoice.currency
            var total = totals[currency] ?? CurrencyTotal()
            do {
                total.amount = try total.amount.adding(payment.invoice.amount)
                total.amountAccounting = try total.amountAccounting.adding(payment.invoice.amountAccounting)
            } catch {
                throw EngineError.totalOutOfRange(currency: currency.text, detail: error.description)
            }
            totals[currency] = total
            paid += 1
        }
        selected += 1
    }

    /// The job's `result` text, keys sorted.
    public func resultJSON() -> String {
        var json = "{\"files\": \(files), \"payment\": {\"paid\": \(paid), \"selected\": \(selected), \"skipped\": {"
        json += PaymentSkipReason.allCases.sorted().map {
            "\(JSONText.quoted($0.rawValue)): \(skipped[$0] ?? 0)"
        }.joined(separator: ", ")
        json += "}}, \"payments\": \(paid), \"totals\": {"
        json += CurrencyTotal.jsonMembers(totals.map { ($0.key, $0.value) })
        json += "}}"
        return json
    }
}
