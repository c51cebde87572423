extension ReimbursementPlanner {
    /// The positive credit balance of a run of credits of one currency. Sums are exact in
    /// `Int128` (no realistic number of transactions can overflow it); only the result must
    /// fit `numeric(24,6)`.
    func creditBalance(_ customer: CustomerFacts, _ run: UnsafeBufferPointer<Int>) throws(EngineError) -> CurrencyBalance {
        let transactions = customer.transactions
        let currency = transactions[run[0]].currency
        var amount: Int128 = 0
        var amountAccounting: Int128 = 0
        for index in run {
            amount -= transactions[index].remainingMicroUnits
            amountAccounting -= transactions[index].remainingAccountingMicroUnits
        }
        return CurrencyBalance(
            currency: currency,
            amount: try fitting(amount, customer, currency, "the credit balance"),
            amountAccounting: try fitting(amountAccounting, customer, currency, "the credit balance in accounting currency"))
    }

    /// A balance of zero, for a currency whose proposed credits are all gone.
    func emptyBalance(_ currency: String) -> CurrencyBalance {
        CurrencyBalance(currency: currency, amount: .zero, amountAccounting: .zero)
    }

    /// Converts an exact sum to ``Money`` or fails the job with a message naming the customer,
    /// the currency, what was summed and the sum itself.
    func fitting(
        _ microUnits: Int128, _ customer: CustomerFacts, _ currency: String, _ what: @autoclosure () -> String
    ) throws(EngineError) -> Money {
        guard let money = Money(microUnits: microUnits) else {
            throw EngineError.amountOutOfRange(
                customer: customer.account, currency: currency,
                detail: "\(what()) \(DecimalText.format(microUnits: microUnits)) does not fit")
        }
        return money
    }
}
