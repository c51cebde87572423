/// What a job reimbursed in one currency, in that currency and in accounting currency.
public struct CurrencyTotal: Sendable, Hashable {
    /// Sum of the reimbursement amounts, in the currency.
    public var amount: Money
    /// Sum of the reimbursement amounts, in accounting currency.
    public var amountAccounting: Money

    /// Both sums; zero by default, for a currency seen for the first time.
    public init(amount: Money = .zero, amountAccounting: Money = .zero) {
        self.amount = amount
        self.amountAccounting = amountAccounting
    }
}

extension CurrencyTotal {
    /// The members of a job `result`'s `"totals"` object, currencies in byte order, amounts as
    /// exact decimal strings: `"EUR": {"amount": "1.00", "amount_accounting": "1.10"}, ...`
    /// (PRODUCT.md section 1, `result`). One rendering for every operation's result.
    public static func jsonMembers(_ totals: [(currency: Code, total: CurrencyTotal)]) -> String {
        totals.sorted { $0.currency < $1.currency }.map { entry in
            "\(JSONText.quoted(entry.currency.text)): {\"amount\": \(JSONText.quoted(entry.total.amount.description)), "
                + "\"amount_accounting\": \(JSONText.quoted(entry.total.amountAccounting.description))}"
        }.joined(separator: ", ")
    }
}
