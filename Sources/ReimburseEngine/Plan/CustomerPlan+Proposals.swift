extension CustomerPlan {
    /// The `reimbursement_proposal` rows of a preview: one per planned reimbursement, with
    /// its credits ascending and the vendor account, or `nil` when a one-time vendor would be
    /// created. An approving job passes them back to the planner unchanged.
    public var proposals: [ReimbursementProposal] {
        guard case .creditBalance(let plan) = self, let vendor = plan.vendor else { return [] }
        let vendorAccount = vendor.knownAccount
        return plan.reimbursements.map { reimbursement in
            ReimbursementProposal(
                currency: reimbursement.currency,
                amount: reimbursement.amount,
                amountAccounting: reimbursement.amountAccounting,
                creditTransactionIds: reimbursement.creditTransactionIds,
                vendorAccount: vendorAccount,
                netting: reimbursement.netting?.summary)
        }
    }
}
