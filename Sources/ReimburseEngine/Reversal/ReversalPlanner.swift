/// Decides, per posted reimbursement, whether a reverse job reverses it and what the reversal
/// posts: the rules of PRODUCT.md §8, pure (no I/O), like ``ReimbursementPlanner`` for §1.
///
/// Checks, in this order (the first that applies decides the skip reason):
/// 1. a reversal exists, or its invoice is cancelled: `already_reversed`;
/// 2. its vendor invoice is paid or partly paid (`settled_amount > 0`): `vendor_invoice_paid`;
/// 3. it was posted after the reversal's date, or its rows cannot be mirrored (no invoice, no
///    voucher lines, no debit, no settlement, a settled transaction that no longer carries
///    what the reimbursement settled): `invalid_data`, with `detail` saying which;
/// 4. approve mode: it differs from the approved preview's proposal: `changed_since_preview`.
///
/// Settlements are undone whatever their kind: every transaction a settlement of the
/// reimbursement settled is opened again by exactly what that settlement took, in both
/// currencies (credits by `amount` / `amount_accounting`, a debit other than the
/// reimbursement's own by `amount` / `debit_amount_accounting`, which netting records), so
/// netted debits reopen with no change here. The reimbursement's own debits stay settled and
/// are closed by new `reimbursement_reversal` transactions.
public struct ReversalPlanner: Sendable {
    /// The reversal's effective posting date.
    public let postingDate: LocalDate
    /// `post`, `preview` or `approve`.
    public let mode: JobMode

    public init(postingDate: LocalDate, mode: JobMode) {
        self.postingDate = postingDate
        self.mode = mode
    }

    /// Plans one reimbursement; `proposal` is the approved preview's row for it (approve mode).
    public func plan(_ facts: ReimbursementFacts, proposal: ReversalProposal? = nil) -> ReversalPlan {
        func skip(_ reason: ReversalSkipReason, _ why: String) -> ReversalPlan {
            .skip(PlannedReversalSkip(
                reimbursementID: facts.id, customerAccount: facts.customerAccount, currency: facts.currency,
                reason: reason, amount: facts.amount, amountAccounting: facts.amountAccounting,
                detail: "\(facts.name): \(why)"))
        }
        if facts.reversed || facts.invoice?.reversalID != nil {
            return skip(.alreadyReversed, "already reversed")
        }
        guard let invoice = facts.invoice else {
            return skip(.invalidData, "its vendor invoice does not exist")
        }
        if !invoice.settledAmount.isZero {
            let how = invoice.settledAmount >= invoice.amount ? "paid" : "partly paid"
            return skip(
                .vendorInvoicePaid,
                "vendor invoice \(invoice.invoiceNumber) is \(how) (\(invoice.settledAmount) of \(invoice.amount)); "
                    + "undo the payment in accounts payable first")
        }
        if facts.postingDate > postingDate {
            return skip(
                .invalidData,
                "posted on \(facts.postingDate), after the reversal's posting date \(postingDate)")
        }
        let reversal: PlannedReversal
        switch mirror(facts, invoice: invoice) {
        case .success(let planned): reversal = planned
        case .failure(let problem): return skip(.invalidData, problem.text)
        }
        if mode == .approve {
            let now = ReversalProposal(reversal)
            guard let proposal else {
                return skip(.changedSincePreview, "the approved preview has no proposal for it")
            }
            if proposal != now {
                return skip(.changedSincePreview, Self.difference(proposal, now))
            }
        }
        return .reverse(reversal)
    }

    struct Problem: Error { var text: String }

    /// The reversal's rows, or what makes them impossible.
    func mirror(_ facts: ReimbursementFacts, invoice: InvoiceFacts) -> Result<PlannedReversal, Problem> {
        guard !facts.ledgerLines.isEmpty else { return .failure(Problem(text: "its voucher has no ledger lines")) }
        guard !facts.debits.isEmpty else {
            return .failure(Problem(text: "it has no customer transaction of kind reimbursement"))
        }
        guard !facts.settlements.isEmpty else { return .failure(Problem(text: "it has no settlement")) }
        let lines = facts.ledgerLines.sorted { $0.line < $1.line }.map {
            PlannedReversalLine(
                account: $0.account, postingType: $0.postingType, amount: -$0.amount,
                amountAccounting: -$0.amountAccounting)
        }
        let closings = facts.debits.sorted { $0.id < $1.id }.map {
            PlannedClosing(
                debitTransactionID: $0.id, ledgerAccount: $0.ledgerAccount, amount: -$0.amount,
                amountAccounting: -$0.amountAccounting)
        }
        let own = Set(facts.debits.map(\.id))
        // Per transaction, what its settlements took (signed like its settled amount).
        var taken: [Int64: (Int128, Int128)] = [:]
        var credits: Set<Int64> = []
        for settlement in facts.settlements {
            credits.insert(settlement.creditTransactionID)
            taken[settlement.creditTransactionID, default: (0, 0)].0 -= settlement.amount.microUnits
            taken[settlement.creditTransactionID, default: (0, 0)].1 -= settlement.amountAccounting.microUnits
            if !own.contains(settlement.debitTransactionID) {
                let accounting = settlement.debitAmountAccounting ?? settlement.amountAccounting
                taken[settlement.debitTransactionID, default: (0, 0)].0 += settlement.amount.microUnits
                taken[settlement.debitTransactionID, default: (0, 0)].1 += accounting.microUnits
            }
        }
        var reopenings: [PlannedReopening] = []
        for id in taken.keys.sorted() {
            let (amount, accounting) = taken[id]!
            guard let transaction = facts.settledTransactions[id] else {
                return .failure(Problem(text: "transaction \(id) that it settled does not exist"))
            }
            // Still settled by at least what the reimbursement took, on the same side of zero.
            let settled = transaction.settledAmount.microUnits
            let settledAccounting = transaction.settledAmountAccounting.microUnits
            let stillCarries = Self.covers(settled, amount) && Self.covers(settledAccounting, accounting)
            guard stillCarries, let change = Money(microUnits: -amount), let changeAccounting = Money(microUnits: -accounting)
            else {
                return .failure(Problem(
                    text: "transaction \(id) is settled \(transaction.settledAmount) (accounting "
                        + "\(transaction.settledAmountAccounting)) now, less than the \(Money(microUnits: abs(amount))!) "
                        + "(accounting \(Money(microUnits: abs(accounting))!)) it settled: it was changed outside "
                        + "Reimburse"))
            }
            reopenings.append(PlannedReopening(
                transactionID: id, settledChange: change, settledChangeAccounting: changeAccounting))
        }
        return .success(PlannedReversal(
            reimbursementID: facts.id, customerAccount: facts.customerAccount, currency: facts.currency,
            amount: facts.amount, amountAccounting: facts.amountAccounting, originalVoucher: facts.voucher,
            voucherLines: lines, closings: closings, reopenings: reopenings, invoiceID: invoice.id,
            creditTransactionIds: credits.sorted()))
    }

    /// Whether a settled amount still holds `taken` (same sign, at least as large).
    static func covers(_ settled: Int128, _ taken: Int128) -> Bool {
        taken == 0 || (taken < 0 ? settled <= taken : settled >= taken)
    }

    static func difference(_ proposal: ReversalProposal, _ now: ReversalProposal) -> String {
        var changes: [String] = []
        if proposal.customerAccount != now.customerAccount || proposal.currency != now.currency {
            changes.append("customer or currency")
        }
        if proposal.amount != now.amount || proposal.amountAccounting != now.amountAccounting {
            changes.append("amounts \(proposal.amount)/\(proposal.amountAccounting) -> \(now.amount)/\(now.amountAccounting)")
        }
        if proposal.voucher != now.voucher { changes.append("voucher \(proposal.voucher) -> \(now.voucher)") }
        if proposal.creditTransactionIds != now.creditTransactionIds {
            changes.append("reopened credits \(proposal.creditTransactionIds) -> \(now.creditTransactionIds)")
        }
        return "changed since the preview: " + changes.joined(separator: "; ")
    }
}
