extension CustomerPlan {
    /// The plan of a customer whose own rows cannot be judged or posted: one customer-wide
    /// `invalid_data` skip row, nothing posted (PRODUCT.md §1, Precisions).
    ///
    /// - Parameters:
    ///   - detail: names the transaction(s) and the problem, for `reimbursement_skip.detail`.
    ///   - wholeCreditAccounting: the customer's whole open credit in accounting currency,
    ///     positive; `nil` when it does not fit `numeric(24,6)` or cannot be known (a row that
    ///     cannot be read).
    public static func invalidData(detail: String, wholeCreditAccounting: Money?) -> CustomerPlan {
        let whole = wholeCreditAccounting.flatMap { $0.microUnits >= 0 ? $0 : nil }
        return .creditBalance(CreditBalancePlan(
            reimbursements: [],
            skips: [PlannedSkip(
                currency: nil, reason: .invalidData, creditBalance: nil, creditBalanceAccounting: whole,
                detail: detail)],
            vendor: nil))
    }
}
