extension JobTally {
    /// The job's `result`, in the contract's shape:
    /// `{"customers": {"no_credit_balance": n, "reimbursed": n, "selected": n, "skipped":
    /// {"<reason>": n, ...}}, "reimbursements": n, "totals": {"<currency>": {"amount":
    /// "<exact>", "amount_accounting": "<exact>"}}}`.
    ///
    /// Keys are sorted so the same tally always gives the same text. Every skip reason is
    /// present, zero included, so that a report reading `skipped->>'on_hold'` gets 0 rather
    /// than NULL. Amounts are strings: JSON numbers are read as binary floating point by many
    /// tools, which would lose digits.
    public func resultJSON() -> String {
        var json = "{\"customers\": {"
        json += "\"no_credit_balance\": \(noCreditBalance), "
        json += "\"reimbursed\": \(reimbursedCustomers), "
        json += "\"selected\": \(selected), "
        json += "\"skipped\": {"
        json += SkipReason.allCases.sorted().map { reason in
            "\(JSONText.quoted(reason.rawValue)): \(skipCounts[reason])"
        }.joined(separator: ", ")
        json += "}}, \"reimbursements\": \(reimbursements), \"totals\": {"
        json += CurrencyTotal.jsonMembers(currencyTotals.map { ($0.currency, $0.total) })
        json += "}}"
        return json
    }
}
