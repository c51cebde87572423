import ReimburseEngine

/// Builders for the facts most tests need, with defaults that reimburse unless told otherwise,
/// so each test states only what it is about.
enum Fixture {
    static let postingDate = LocalDate(year: 2026, month: 3, day: 31)!
    static let customerAccount: Code = "C0001"

    static func company(minimum: String = "0", paymentDays: Int = 14) -> CompanyRules {
        CompanyRules(
            id: "USMF",
            accountingCurrency: "USD",
            minimumReimbursement: money(minimum),
            vendorSummaryAccount: "200100",
            oneTimeVendorGroup: "ONETIME",
            paymentDays: paymentDays)
    }

    static func planner(
        minimum: String = "0",
        debitHandling: DebitHandling = .skip,
        summarize: Bool = true,
        mode: JobMode = .post,
        paymentDays: Int = 14
    ) -> ReimbursementPlanner {
        ReimbursementPlanner(
            company: company(minimum: minimum, paymentDays: paymentDays),
            options: JobOptions(debitHandling: debitHandling, summarize: summarize, postingDate: postingDate, mode: mode))
    }

    /// A credit of `amount` (written positive, stored negative as in the database), with
    /// `settled` of it already settled. Accounting amounts default to the transaction amounts.
    static func credit(
        _ id: Int64,
        _ amount: String,
        accounting: String? = nil,
        currency: Code = "USD",
        ledger: Code = "130100",
        settled: String = "0",
        settledAccounting: String? = nil,
        marked: Bool = false
    ) -> OpenTransaction {
        OpenTransaction(
            id: id,
            currency: currency,
            amount: -money(amount),
            amountAccounting: -money(accounting ?? amount),
            settledAmount: -money(settled),
            settledAmountAccounting: -money(settledAccounting ?? settled),
            ledgerAccount: ledger,
            markedForSettlement: marked)
    }

    /// A debit (positive in the database).
    static func debit(
        _ id: Int64,
        _ amount: String,
        accounting: String? = nil,
        currency: Code = "USD",
        ledger: Code = "130100",
        settled: String = "0",
        marked: Bool = false
    ) -> OpenTransaction {
        OpenTransaction(
            id: id,
            currency: currency,
            amount: money(amount),
            amountAccounting: money(accounting ?? amount),
            settledAmount: money(settled),
            settledAmountAccounting: money(settled),
            ledgerAccount: ledger,
            markedForSettlement: marked)
    }

    /// A customer with its own, existing vendor unless told otherwise.
    static func customer(
        _ transactions: [OpenTransaction],
        account: Code = customerAccount,
        onHold: Bool = false,
        vendorAccount: Code? = "V0001",
        vendorAccountExists: Bool = true,
        existingOneTimeVendor: Code? = nil
    ) -> CustomerFacts {
        CustomerFacts(
            account: account,
            name: "Contoso Retail",
            group: "RETAIL",
            currency: "USD",
            address: "1 Main St",
            onHold: onHold,
            vendorAccount: vendorAccount,
            vendorAccountExists: vendorAccountExists,
            existingOneTimeVendor: existingOneTimeVendor,
            transactions: transactions)
    }

    static func skip(_ reason: SkipReason, _ currency: Code?, _ balance: String?, _ accounting: String) -> PlannedSkip {
        PlannedSkip(
            currency: currency, reason: reason, creditBalance: balance.map(money),
            creditBalanceAccounting: money(accounting))
    }
}

extension CustomerPlan {
    /// The skip rows without their `detail`, for expectations about reasons and balances.
    var skipsWithoutDetail: [PlannedSkip] {
        skips.map { PlannedSkip(currency: $0.currency, reason: $0.reason, creditBalance: $0.creditBalance,
                                creditBalanceAccounting: $0.creditBalanceAccounting) }
    }

    /// The skip rows as (currency, reason) pairs, for compact expectations.
    var skipSummary: [String] {
        skips.map { "\($0.currency ?? "-"):\($0.reason.rawValue)" }
    }
}
