/// The counters and totals of a reverse job, accumulated chunk by chunk; its `result`:
/// `{"reversal": {"selected": n, "reversed": n, "skipped": {"<reason>": n, ...}},
/// "reversals": n, "totals": {"<currency>": {"amount": "<exact>", "amount_accounting":
/// "<exact>"}}}`. Counts are of reimbursements: selected by the job, reversed (proposed, in a
/// preview), and left alone per ``ReversalSkipReason`` (every reason present, zero included);
/// `reversals` counts `reimbursement_reversal` rows (proposals in a preview); totals are the
/// reversed reimbursements' amounts per currency.
public struct ReversalTally: Sendable, Hashable {
    public var selected = 0
    public var reversed = 0
    public var skipped: [ReversalSkipReason: Int] = [:]
    public var totals: [Code: CurrencyTotal] = [:]

    public init() {}

    /// Counts one planned reimbursement once it is committed (or, in a preview, written).
    /// - Throws: ``EngineError/totalOutOfRange(currency:detail:)`` when a total would not fit.
    public mutating func record(_ plan: ReversalPlan) throws(EngineError) {
        switch plan {
        case .skip(let skip):
            skipped[skip.reason, default: 0] += 1
        case .reverse(let reversal):
            var total = totals[reversal.currency] ?? CurrencyTotal()
            do {
                total.amount = try total.amount.adding(reversal.amount)
                total.amountAccounting = try total.amountAccounting.adding(reversal.amountAccounting)
            } catch {
                throw EngineError.totalOutOfRange(currency: reversal.currency.text, detail: error.description)
            }
            totals[reversal.currency] = total
            reversed += 1
        }
        selected += 1
    }

    /// The job's `result` text, keys sorted.
    public func resultJSON() -> String {
        var json = "{\"reversal\": {\"reversed\": \(reversed), \"selected\": \(selected), \"skipped\": {"
        json += ReversalSkipReason.allCases.sorted().map {
            "\(JSONText.quoted($0.rawValue)): \(skipped[$0] ?? 0)"
        }.joined(separator: ", ")
        json += "}}, \"reversals\": \(reversed), \"totals\": {"
        json += CurrencyTotal.jsonMembers(totals.map { ($0.key, $0.value) })
        json += "}}"
        return json
    }
}
