import ReimburseEngine

/// The netting rules of PRODUCT.md §7 restated plainly (dictionaries and sorts, no code shared
/// with the planner), checked against a plan; returns what is wrong.
struct NettingOracle {
    let company: CompanyRules
    let options: JobOptions

    struct GroupKey: Hashable { var currency: Code; var account: Code? }

    func problems(_ plan: CustomerPlan, for customer: CustomerFacts) -> [String] {
        var problems = voucherProblems(plan, for: customer)
        func check(_ condition: Bool, _ message: @autoclosure () -> String) {
            if !condition { problems.append("\(customer.account): \(message())") }
        }
        let open = customer.transactions.filter(\.isOpen)
        let credits = open.filter(\.isCredit)
        guard !credits.isEmpty else {
            check(plan == .noCreditBalance, "no open credit but not noCreditBalance")
            return problems
        }
        if customer.onHold || open.contains(where: \.markedForSettlement) {
            check(plan.reimbursements.isEmpty && plan.skips.count == 1 && plan.skips[0].currency == nil, "customer-wide skip expected")
            return problems
        }
        func key(_ transaction: OpenTransaction) -> GroupKey {
            GroupKey(currency: transaction.currency, account: options.summarize ? nil : transaction.ledgerAccount)
        }
        let creditGroups = Dictionary(grouping: credits, by: key)
        let debitGroups = Dictionary(grouping: open.filter(\.isDebit), by: key)
        var expectedRemainder: [Code: Int128] = [:]
        var expectedNetted: [GroupKey: Int128] = [:]
        for (group, members) in creditGroups {
            let creditTotal = members.reduce(Int128(0)) { $0 - $1.openForTests }
            let debitTotal = (debitGroups[group] ?? []).reduce(Int128(0)) { $0 + $1.openForTests }
            expectedNetted[group] = min(creditTotal, debitTotal)
            expectedRemainder[group.currency, default: 0] += creditTotal - min(creditTotal, debitTotal)
        }
        // What the plan settles, per transaction, and nets, per group.
        var byId: [Int64: OpenTransaction] = [:]
        for transaction in open { byId[transaction.id] = transaction }
        var netted: [GroupKey: Int128] = [:]
        var settled: [Int64: (amount: Int128, accounting: Int128)] = [:]
        var reimbursed: [Code: Int128] = [:]
        for reimbursement in plan.reimbursements {
            reimbursed[reimbursement.currency, default: 0] += reimbursement.amount.microUnits
            for piece in reimbursement.netting?.pieces ?? [] {
                guard let credit = byId[piece.creditTransactionId], let debit = byId[piece.debitTransactionId] else {
                    problems.append("\(customer.account): a piece names a transaction that is not open")
                    continue
                }
                check(credit.isCredit && debit.isDebit, "a piece with the sides swapped")
                check(credit.currency == debit.currency && credit.currency == reimbursement.currency, "a piece across currencies")
                check(options.summarize || credit.ledgerAccount == debit.ledgerAccount, "summarize=false nets across ledger accounts")
                check(piece.amount.isPositive, "a piece that is not positive")
                netted[key(credit), default: 0] += piece.amount.microUnits
                settled[credit.id, default: (0, 0)].amount += piece.amount.microUnits
                settled[credit.id, default: (0, 0)].accounting += piece.amountAccounting.microUnits
                settled[debit.id, default: (0, 0)].amount += piece.amount.microUnits
                settled[debit.id, default: (0, 0)].accounting += piece.debitAmountAccounting.microUnits
            }
            for debit in reimbursement.debits {
                for settlement in debit.settlements {
                    settled[settlement.creditTransactionId, default: (0, 0)].amount += settlement.amount.microUnits
                    settled[settlement.creditTransactionId, default: (0, 0)].accounting += settlement.amountAccounting.microUnits
                }
            }
        }
        // Nothing settled beyond its open amount, in either column; closed credits exactly.
        for (id, total) in settled {
            guard let transaction = byId[id] else { continue }
            let openAmount = transaction.openForTests.magnitude
            let openAccounting = transaction.remainingAccountingMicroUnitsForTests.magnitude
            check(total.amount >= 0 && total.amount.magnitude <= openAmount, "transaction \(id) settled beyond its amount")
            check(total.accounting >= 0 && total.accounting.magnitude <= openAccounting, "transaction \(id) settled beyond its accounting amount")
            if total.amount.magnitude == openAmount {
                check(total.accounting.magnitude == openAccounting, "transaction \(id) closed without its exact accounting remainder")
            }
        }
        let reimbursedCurrencies = Set(plan.reimbursements.map(\.currency))
        for currency in Set(credits.map(\.currency)) {
            let remainder = expectedRemainder[currency] ?? 0
            if reimbursedCurrencies.contains(currency) {
                check(reimbursed[currency] == remainder, "\(currency): reimbursed \(reimbursed[currency] ?? 0), remainder \(remainder)")
                for (group, expected) in expectedNetted where group.currency == currency {
                    check(netted[group, default: 0] == expected, "\(currency)/\(group.account?.text ?? "*"): netted \(netted[group, default: 0]), min \(expected)")
                }
                // Money conserved: every credit of the currency closed, by netting or reimbursement.
                for credit in credits where credit.currency == currency {
                    check(settled[credit.id]?.amount == -credit.openForTests, "credit \(credit.id) not closed")
                }
            } else if plan.skips.first(where: { $0.currency == nil }) == nil {
                let skip = plan.skips.first { $0.currency == currency }
                check(skip?.reason == .belowMinimum, "\(currency): neither reimbursed nor below_minimum")
                check(skip?.creditBalance?.microUnits == remainder, "\(currency): skip balance is not the remainder \(remainder)")
                if remainder > 0, let accounting = skip?.creditBalanceAccounting {
                    check(company.minimumReimbursement.microUnits > 0 && accounting < company.minimumReimbursement, "\(currency): skipped although reaching the minimum")
                }
            }
        }
        // Oldest first: in each group, a transaction is netted only when every older one is netted whole.
        for (group, members) in creditGroups where reimbursedCurrencies.contains(group.currency) {
            for side in [members, debitGroups[group] ?? []] {
                let ordered = side.sorted { ($0.transactionDate, $0.id) < ($1.transactionDate, $1.id) }
                var partlyOrNot = false
                for transaction in ordered {
                    let nettedHere = nettedPart(transaction, plan)
                    if partlyOrNot { check(nettedHere == 0, "transaction \(transaction.id) netted before an older one") }
                    if nettedHere < transaction.openForTests.magnitude { partlyOrNot = true }
                }
            }
        }
        return problems
    }

    func nettedPart(_ transaction: OpenTransaction, _ plan: CustomerPlan) -> UInt128 {
        var total: Int128 = 0
        for reimbursement in plan.reimbursements {
            for piece in reimbursement.netting?.pieces ?? []
            where piece.creditTransactionId == transaction.id || piece.debitTransactionId == transaction.id {
                total += piece.amount.microUnits
            }
        }
        return total.magnitude
    }

    /// Every voucher balances in both columns; its vendor line is the remainder; the exchange
    /// difference account carries the whole difference between the two sides.
    func voucherProblems(_ plan: CustomerPlan, for customer: CustomerFacts) -> [String] {
        var problems: [String] = []
        func check(_ condition: Bool, _ message: @autoclosure () -> String) {
            if !condition { problems.append("\(customer.account): \(message())") }
        }
        for reimbursement in plan.reimbursements {
            let lines = reimbursement.voucherLines
            check(lines.reduce(Int128(0)) { $0 + $1.amount.microUnits } == 0, "voucher does not balance")
            check(lines.reduce(Int128(0)) { $0 + $1.amountAccounting.microUnits } == 0, "voucher does not balance in accounting currency")
            let vendor = lines.filter { $0.postingType == .vendorBalance }
            check(vendor.count == 1 && vendor[0].amount.microUnits == -reimbursement.amount.microUnits, "vendor line is not the remainder")
            let difference = (reimbursement.netting?.pieces ?? []).reduce(Int128(0)) {
                $0 + $1.amountAccounting.microUnits - $1.debitAmountAccounting.microUnits
            }
            let exchange = lines.filter { $0.account == NettingLedgers.exchangeAccount }
            check(exchange.reduce(Int128(0)) { $0 + $1.amountAccounting.microUnits } == -difference, "exchange line is not the difference")
            for line in lines where line.postingType == .exchangeDifference {
                check(line.amount == .zero && line.amountAccounting != .zero, "exchange line with an amount or without a difference")
            }
            for line in lines where line.postingType != .exchangeDifference {
                check(line.amount != .zero, "a zero line")
                check(line.amountAccounting == .zero || line.amountAccounting.isNegative == line.amount.isNegative, "line with two signs")
            }
        }
        return problems
    }
}

extension OpenTransaction {
    var remainingAccountingMicroUnitsForTests: Int128 {
        amountAccounting.microUnits - settledAmountAccounting.microUnits
    }
}

extension OpenTransaction {
    /// `amount - settled_amount` in micro-units (negative for a credit).
    var openForTests: Int128 { amount.microUnits - settledAmount.microUnits }
}
