import Postgres

/// Loads the sample with `COPY`, in one transaction: a demo database either has the whole
/// sample or none of it.
struct SampleLoader {
    let connection: PostgresConnection

    struct Counts: Equatable {
        var companies = 0
        var customers = 0
        var vendors = 0
        var transactions = 0
    }

    /// The sample's companies must not exist: the demo never mixes its data into a database
    /// that already has them.
    func refuseExistingCompanies() throws {
        let ids = SampleCompany.all.map(\.id)
        let existing = try connection.query(
            "SELECT id FROM company WHERE id = ANY($1::text[]) ORDER BY id", ids) { try $0.decode(String.self, at: 0) }
        guard existing.isEmpty else {
            throw CommandFailure.badData(
                "company \(existing.joined(separator: ", ")) already exists in this database; "
                    + "the demo loads its sample only where its companies (\(ids.joined(separator: ", "))) do not exist")
        }
    }

    func load(_ sample: [SampleCompanyData]) throws -> Counts {
        try connection.transaction { connection in
            var counts = Counts()
            for data in sample {
                let company = data.company
                try connection.execute(
                    """
                    INSERT INTO company (id, name, accounting_currency, minimum_reimbursement,
                                         vendor_summary_account, one_time_vendor_group, reimbursement_payment_days)
                    VALUES ($1, $2, $3, $4::numeric, '2110', 'OTV', $5)
                    """,
                    company.id, company.name, company.currency, company.minimumText, company.paymentDays)
                counts.companies += 1
            }
            counts.customers = try connection.copyIn(
                "COPY customer (company_id, account, name, customer_group, currency, vendor_account, on_hold, address) FROM STDIN"
            ) { writer in
                for data in sample {
                    for customer in data.customers {
                        try writer.row(
                            data.company.id, customer.account, customer.name, customer.group, customer.currency,
                            customer.vendorAccount, customer.onHold, customer.address)
                    }
                }
            }
            counts.vendors = try connection.copyIn(
                "COPY vendor (company_id, account, name, vendor_group, currency, address, one_time, customer_account) FROM STDIN"
            ) { writer in
                for data in sample {
                    for vendor in data.vendors {
                        try writer.row(
                            data.company.id, vendor.account, vendor.name, vendor.group, vendor.currency,
                            vendor.address, vendor.oneTime, vendor.customerAccount)
                    }
                }
            }
            counts.transactions = try connection.copyIn(
                """
                COPY customer_transaction (company_id, customer_account, voucher, transaction_date, kind, currency,
                                           amount, amount_accounting, settled_amount, settled_amount_accounting,
                                           ledger_account, marked_for_settlement) FROM STDIN
                """
            ) { writer in
                for data in sample {
                    for transaction in data.transactions {
                        try writer.row(
                            data.company.id, transaction.customerAccount, transaction.voucher, transaction.date,
                            transaction.kind, transaction.currency, Cents.text(transaction.amountCents),
                            Cents.text(transaction.accountingCents), Cents.text(transaction.settledCents),
                            Cents.text(transaction.settledAccountingCents), transaction.ledgerAccount,
                            transaction.markedForSettlement)
                    }
                }
            }
            // Fresh rows have no statistics yet; the daemon's first queries should not guess.
            try connection.execute("ANALYZE company, customer, vendor, customer_transaction")
            return counts
        }
    }
}
