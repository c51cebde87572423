extension CustomerPlan {
    /// What to post; empty for ``noCreditBalance``. Saves the store a `switch` per customer.
    public var reimbursements: [PlannedReimbursement] {
        if case .creditBalance(let plan) = self { return plan.reimbursements }
        return []
    }

    /// Skip rows to write; empty for ``noCreditBalance``.
    public var skips: [PlannedSkip] {
        if case .creditBalance(let plan) = self { return plan.skips }
        return []
    }

    /// Who is paid; `nil` when nothing is reimbursed.
    public var vendor: VendorResolution? {
        if case .creditBalance(let plan) = self { return plan.vendor }
        return nil
    }

    /// How the customer is counted in the job's `result`, once: reimbursed when it got at
    /// least one reimbursement, else the reason of its customer-wide skip, else the reason of
    /// its first per-currency skip (in currency order).
    public var outcome: CustomerOutcome {
        guard case .creditBalance(let plan) = self else { return .noCreditBalance }
        if !plan.reimbursements.isEmpty { return .reimbursed }
        if let customerWide = plan.skips.first(where: { $0.currency == nil }) {
            return .skipped(customerWide.reason)
        }
        if let first = plan.skips.first { return .skipped(first.reason) }
        // Unreachable for plans made by the planner: open credits always end in one or the other.
        return .noCreditBalance
    }
}
