import ReimburseEngine

/// Checks that hold for every plan whatever the facts; returns what is wrong, so one failing
/// customer in ten thousand is reported with its account instead of a wall of failures.
struct PlanInvariants {
    let company: CompanyRules
    let options: JobOptions

    func problems(_ plan: CustomerPlan, for customer: CustomerFacts) -> [String] {
        var problems: [String] = []
        func check(_ condition: Bool, _ message: @autoclosure () -> String) {
            if !condition { problems.append("\(customer.account): \(message())") }
        }
        let open = Dictionary(
            uniqueKeysWithValues: customer.transactions.filter(\.isCredit).map { ($0.id, $0) })
        guard case .creditBalance(let decided) = plan else {
            check(open.isEmpty, "noCreditBalance although it has open credits")
            return problems
        }
        check(!open.isEmpty || options.mode == .approve, "a credit balance plan without open credits")
        check(!decided.reimbursements.isEmpty || !decided.skips.isEmpty, "open credits but neither reimbursed nor skipped")
        let customerWide = decided.skips.filter { $0.currency == nil }
        check(customerWide.count <= 1, "more than one customer-wide skip")
        check(customerWide.isEmpty || decided.reimbursements.isEmpty, "reimbursed and skipped customer-wide")
        check((decided.vendor == nil) == decided.reimbursements.isEmpty, "vendor present exactly when reimbursing")
        for skip in decided.skips {
            check((skip.currency == nil) == !skip.reason.isPerCurrency, "skip \(skip.reason) with currency \(skip.currency ?? "nil")")
            check((skip.currency == nil) == (skip.creditBalance == nil), "skip balance present exactly with a currency")
            check(skip.creditBalance.map { !$0.isNegative } ?? true, "negative skip balance")
        }
        let skipCurrencies = decided.skips.compactMap(\.currency)
        check(skipCurrencies == skipCurrencies.sorted() && Set(skipCurrencies).count == skipCurrencies.count, "skip rows not one per currency in order")
        check(decided.skips.first?.currency == nil || customerWide.isEmpty, "customer-wide skip not first")

        var settled = Set<Int64>()
        var reimbursedCurrencies = Set<Code>()
        for reimbursement in decided.reimbursements {
            reimbursedCurrencies.insert(reimbursement.currency)
            check(reimbursement.amount.isPositive, "reimbursement amount not positive")
            check(reimbursement.dueDate == (try? options.postingDate.adding(days: company.paymentDays)), "due date")
            check(!reimbursement.debits.isEmpty, "reimbursement without debits")
            let accounts = reimbursement.debits.map(\.ledgerAccount)
            check(accounts == accounts.sorted() && Set(accounts).count == accounts.count, "debits not one per ledger account in order")
            var debitTotal: Int128 = 0
            var debitTotalAccounting: Int128 = 0
            for debit in reimbursement.debits {
                debitTotal += debit.amount.microUnits
                debitTotalAccounting += debit.amountAccounting.microUnits
                let ids = debit.settlements.map(\.creditTransactionId)
                check(ids == ids.sorted(), "settlements not by credit id")
                var settlementTotal: Int128 = 0
                var settlementTotalAccounting: Int128 = 0
                for settlement in debit.settlements {
                    settlementTotal += settlement.amount.microUnits
                    settlementTotalAccounting += settlement.amountAccounting.microUnits
                    check(settled.insert(settlement.creditTransactionId).inserted, "credit \(settlement.creditTransactionId) settled twice")
                    guard let credit = open[settlement.creditTransactionId] else {
                        problems.append("\(customer.account): settles \(settlement.creditTransactionId), not an open credit")
                        continue
                    }
                    check(credit.currency == reimbursement.currency, "credit in another currency")
                    check(credit.ledgerAccount == debit.ledgerAccount, "credit on another ledger account")
                    check(settlement.amount.microUnits == -(credit.amount.microUnits - credit.settledAmount.microUnits), "settles other than the remaining amount")
                    check(
                        settlement.amountAccounting.microUnits
                            == -(credit.amountAccounting.microUnits - credit.settledAmountAccounting.microUnits),
                        "settles other than the remaining accounting amount")
                }
                check(settlementTotal == debit.amount.microUnits, "settlements do not sum to the debit")
                check(settlementTotalAccounting == debit.amountAccounting.microUnits, "accounting settlements do not sum to the debit")
            }
            check(debitTotal == reimbursement.amount.microUnits, "debits do not sum to the reimbursement")
            check(debitTotalAccounting == reimbursement.amountAccounting.microUnits, "accounting debits do not sum")
            let lines = reimbursement.voucherLines
            check(lines.count == reimbursement.debits.count + 1, "voucher line count")
            check(lines.reduce(Int128(0)) { $0 + $1.amount.microUnits } == 0, "voucher does not balance")
            check(lines.reduce(Int128(0)) { $0 + $1.amountAccounting.microUnits } == 0, "voucher does not balance in accounting currency")
            check(lines.last?.account == company.vendorSummaryAccount && lines.last?.postingType == .vendorBalance, "credit line")
            check(lines.dropLast().allSatisfy { $0.postingType == .customerReimbursement }, "debit line posting type")
            check(zip(lines, reimbursement.debits).allSatisfy { $0.account == $1.ledgerAccount && $0.amount == $1.amount }, "debit lines match debits")
        }
        // A reimbursed currency is reimbursed whole: every open credit of it is settled.
        for credit in open.values where reimbursedCurrencies.contains(credit.currency) {
            check(settled.contains(credit.id), "open credit \(credit.id) of a reimbursed currency left open")
        }
        check(reimbursedCurrencies.isDisjoint(with: skipCurrencies), "a currency both reimbursed and skipped")
        // Every currency with open credits is reimbursed or explained.
        for currency in Set(open.values.map(\.currency)) {
            check(
                reimbursedCurrencies.contains(currency) || !customerWide.isEmpty || skipCurrencies.contains(currency),
                "currency \(currency) neither reimbursed nor explained")
        }
        return problems
    }
}
