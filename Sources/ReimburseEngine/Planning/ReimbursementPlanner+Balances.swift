extension ReimbursementPlanner {
    /// The positive credit balance of a run of credits of one currency. Sums are exact in
    /// `Int128` (no realistic number of transactions can overflow it); only the result must
    /// fit `numeric(24,6)`. An accounting balance may be zero (a residue after a revaluation
    /// or a rounding, PRODUCT.md §1 Precisions) but no credit may be open in accounting
    /// currency with the other sign: that is data the rules cannot use.
    func creditBalance(_ customer: CustomerFacts, _ run: UnsafeBufferPointer<Int>) throws(EngineError) -> CurrencyBalance {
        let transactions = customer.transactions
        let currency = transactions[run[0]].currency
        var amount: Int128 = 0
        var amountAccounting: Int128 = 0
        for index in run {
            let remainingAccounting = transactions[index].remainingAccountingMicroUnits
            guard remainingAccounting <= 0 else {
                let id = transactions[index].id
                throw EngineError.invalidCustomerData(
                    customer: customer.account.text,
                    detail: "credit \(id) is open for \(DecimalText.format(microUnits: transactions[index].remainingMicroUnits)) "
                        + "\(currency) but for +\(DecimalText.format(microUnits: remainingAccounting)) in accounting "
                        + "currency: an open accounting amount never has the other sign; correct its "
                        + "amount_accounting or settled_amount_accounting")
            }
            amount -= transactions[index].remainingMicroUnits
            amountAccounting -= remainingAccounting
        }
        return CurrencyBalance(
            currency: currency,
            amount: try fitting(amount, customer, currency, "the credit balance", of: run),
            amountAccounting: try fitting(
                amountAccounting, customer, currency, "the credit balance in accounting currency", of: run))
    }

    /// Converts an exact sum to ``Money`` or throws
    /// ``EngineError/amountOutOfRange(customer:currency:detail:)`` naming the credits summed,
    /// what was summed and the sum itself (the customer's `invalid_data` detail).
    func fitting(
        _ microUnits: Int128, _ customer: CustomerFacts, _ currency: Code, _ what: @autoclosure () -> String,
        of credits: UnsafeBufferPointer<Int>
    ) throws(EngineError) -> Money {
        guard let money = Money(microUnits: microUnits) else {
            let transactions = customer.transactions
            throw EngineError.amountOutOfRange(
                customer: customer.account.text, currency: currency.text,
                detail: "\(TransactionList.credits(credits.map { transactions[$0].id })) (\(currency)): \(what()) "
                    + "\(DecimalText.format(microUnits: microUnits)) does not fit numeric(24,6) "
                    + "(at most 999999999999999999.999999)")
        }
        return money
    }
}
