extension OpenTransaction {
    /// `amount - settled_amount` in micro-units. Computed in `Int128`, where it cannot
    /// overflow even for data that breaks the "never settled beyond the amount" rule.
    var remainingMicroUnits: Int128 { amount.microUnits - settledAmount.microUnits }

    /// `amount_accounting - settled_amount_accounting` in micro-units.
    var remainingAccountingMicroUnits: Int128 {
        amountAccounting.microUnits - settledAmountAccounting.microUnits
    }

    /// What is still open, in transaction currency: negative for a credit. Throws only for
    /// data that settles beyond the amount with the opposite sign, where the difference no
    /// longer fits `numeric(24,6)`.
    public var remaining: Money {
        get throws(MoneyError) { try amount.subtracting(settledAmount) }
    }

    /// What is still open, in accounting currency; see ``remaining``.
    public var remainingAccounting: Money {
        get throws(MoneyError) { try amountAccounting.subtracting(settledAmountAccounting) }
    }

    /// Open means `amount - settled_amount <> 0` (in transaction currency), as the contract
    /// defines it; the accounting remainder does not decide.
    public var isOpen: Bool { remainingMicroUnits != 0 }

    /// An open credit: what the customer is owed, and what a reimbursement settles.
    public var isCredit: Bool { remainingMicroUnits < 0 }

    /// An open debit: what the customer still owes.
    public var isDebit: Bool { remainingMicroUnits > 0 }
}
