import Postgres

/// Checks that two databases, copies of the same data, hold the same postings of one job each:
/// the daemon's and the set-based SQL's. Each aspect is a list of text lines, compared first
/// by count and digest (server-side), and line by line only when they differ, so the first
/// differences can be printed.
///
/// Numbers (vouchers, invoice numbers, one-time vendor accounts) and ids are compared through
/// what they must agree on, not by value: which customer got a created one-time vendor, the
/// sequences' next values, and that each reimbursement's rows carry its voucher; the order in
/// which a daemon hands numbers out is not part of the contract.
/// Parameters of every query: `$1` company, `$2` job id.
enum PostingComparison {
    struct Aspect {
        var name: String
        var lines: String
    }

    /// Per (customer, currency): amounts, vendor, dates, and the invoice that goes with it.
    static let reimbursements = Aspect(name: "reimbursements", lines: """
        SELECT concat_ws('|', r.customer_account, r.currency, r.amount, r.amount_accounting,
                   CASE WHEN v.one_time THEN 'one-time vendor' || CASE WHEN r.one_time_vendor_created THEN ' created'
                                                                    ELSE ' ' || r.vendor_account END
                        ELSE r.vendor_account END,
                   r.posting_date, i.due_date, i.invoice_date, i.amount, i.amount_accounting, i.settled_amount,
                   i.currency, i.vendor_account = r.vendor_account, i.voucher = r.voucher, i.reimbursement_id = r.id)
          FROM reimbursement r
          LEFT JOIN vendor v ON v.company_id = r.company_id AND v.account = r.vendor_account
          LEFT JOIN vendor_invoice i ON i.company_id = r.company_id AND i.id = r.vendor_invoice_id
         WHERE r.company_id = $1 AND r.job_id = $2
        """)

    static let skips = Aspect(name: "skips", lines: """
        SELECT concat_ws('|', customer_account, coalesce(currency::text, '-'), reason,
                   coalesce(credit_balance::text, '-'), coalesce(credit_balance_accounting::text, '-'),
                   coalesce(detail, '-'))
          FROM reimbursement_skip WHERE company_id = $1 AND job_id = $2
        """)

    /// The reimbursement debits: one per (customer, currency, ledger account), fully settled.
    static let debits = Aspect(name: "reimbursement debits", lines: """
        SELECT concat_ws('|', t.customer_account, t.currency, t.ledger_account, t.amount, t.amount_accounting,
                   t.settled_amount, t.settled_amount_accounting, t.transaction_date, t.marked_for_settlement,
                   r.customer_account = t.customer_account AND r.currency = t.currency)
          FROM reimbursement r
          JOIN customer_transaction t ON t.company_id = r.company_id AND t.kind = 'reimbursement'
                                     AND t.voucher = r.voucher
         WHERE r.company_id = $1 AND r.job_id = $2
        """)

    /// Each settlement by the credit it settles (ids of loaded transactions are the same in
    /// both copies) and the debit it settles against.
    static let settlements = Aspect(name: "settlements", lines: """
        SELECT concat_ws('|', s.credit_transaction_id, s.currency, s.amount, s.amount_accounting, s.settled_on, s.kind,
                   r.customer_account, d.ledger_account, c.ledger_account, d.voucher = r.voucher,
                   c.customer_account = r.customer_account)
          FROM customer_settlement s
          JOIN reimbursement r ON r.company_id = s.company_id AND r.id = s.reimbursement_id
          LEFT JOIN customer_transaction d ON d.company_id = s.company_id AND d.id = s.debit_transaction_id
          LEFT JOIN customer_transaction c ON c.company_id = s.company_id AND c.id = s.credit_transaction_id
         WHERE s.company_id = $1 AND s.job_id = $2
        """)

    static let ledgerLines = Aspect(name: "ledger lines", lines: """
        SELECT concat_ws('|', r.customer_account, r.currency, l.line, l.account, l.posting_type, l.currency, l.amount,
                   l.amount_accounting, l.posting_date, l.voucher = r.voucher)
          FROM reimbursement r
          JOIN ledger_entry l ON l.company_id = r.company_id AND l.reimbursement_id = r.id
         WHERE r.company_id = $1 AND r.job_id = $2
        """)

    /// Created one-time vendors, by the customer they stand for.
    static let createdVendors = Aspect(name: "created one-time vendors", lines: """
        SELECT concat_ws('|', v.customer_account, coalesce(v.name, '-'), coalesce(v.vendor_group, '-'), v.currency,
                   coalesce(v.address, '-'))
          FROM vendor v
         WHERE v.company_id = $1 AND v.one_time
           AND EXISTS (SELECT 1 FROM reimbursement r
                        WHERE r.company_id = v.company_id AND r.job_id = $2 AND r.vendor_account = v.account
                          AND r.one_time_vendor_created)
        """)

    /// The settled-credit UPDATE: every loaded transaction's settled amounts afterwards.
    static let settledCredits = Aspect(name: "settled amounts of loaded transactions", lines: """
        SELECT concat_ws('|', id, settled_amount, settled_amount_accounting)
          FROM customer_transaction
         WHERE company_id = $1 AND kind <> 'reimbursement' AND settled_amount <> 0 AND $2::bigint IS NOT NULL
        """)

    static let sequences = Aspect(name: "number sequences", lines: """
        SELECT concat_ws('|', name, prefix, next_value, width)
          FROM number_sequence WHERE company_id = $1 AND $2::bigint IS NOT NULL
        """)

    static let aspects = [reimbursements, skips, debits, settlements, ledgerLines, createdVendors, settledCredits, sequences]

    /// Vouchers of the company that do not sum to zero in both currencies: must be none.
    static let unbalancedVouchersSQL = """
        SELECT count(*) FROM (
            SELECT voucher FROM ledger_entry WHERE company_id = $1
             GROUP BY voucher HAVING sum(amount) <> 0 OR sum(amount_accounting) <> 0) unbalanced
        """

    static func digestSQL(_ aspect: Aspect) -> String {
        "SELECT count(*), md5(coalesce(string_agg(line, E'\\n' ORDER BY line COLLATE \"C\"), '')) "
            + "FROM (\(aspect.lines)) lines(line)"
    }

    static func linesSQL(_ aspect: Aspect) -> String {
        "SELECT line FROM (\(aspect.lines)) lines(line) ORDER BY line COLLATE \"C\""
    }

    struct Side {
        var connection: PostgresConnection
        var jobID: Int
        var label: String
    }

    /// Compares every aspect; returns one summary line per aspect, or throws listing the
    /// first differences of each aspect that differs.
    static func compare(company: String, _ first: Side, _ second: Side) throws -> [String] {
        var summary: [String] = []
        var problems: [String] = []
        for side in [first, second] {
            let unbalanced = try side.connection.intValue(unbalancedVouchersSQL, company)
            if unbalanced != 0 { problems.append("\(side.label): \(unbalanced) voucher(s) do not balance") }
        }
        for aspect in aspects {
            func digest(_ side: Side) throws -> (Int, String) {
                try side.connection.query(digestSQL(aspect), company, side.jobID) { row in
                    (try row.decode(Int.self, at: 0), try row.decode(String.self, at: 1))
                }[0]
            }
            let (firstCount, firstDigest) = try digest(first)
            let (secondCount, secondDigest) = try digest(second)
            if firstCount == secondCount && firstDigest == secondDigest {
                summary.append("\(aspect.name) \(Format.grouped(firstCount))")
                continue
            }
            let firstLines = try first.connection.query(linesSQL(aspect), company, first.jobID) { try $0.decode(String.self, at: 0) }
            let secondLines = try second.connection.query(linesSQL(aspect), company, second.jobID) { try $0.decode(String.self, at: 0) }
            var differences = ["\(aspect.name): \(first.label) \(Format.grouped(firstCount)) rows, "
                + "\(second.label) \(Format.grouped(secondCount)) rows; first differences (- only \(first.label), "
                + "+ only \(second.label)):"]
            differences += firstDifferences(firstLines, secondLines, limit: 10)
            problems.append(differences.joined(separator: "\n      "))
        }
        guard problems.isEmpty else {
            throw BenchmarkError("the daemon and the set-based SQL posted different rows:\n    "
                + problems.joined(separator: "\n    "))
        }
        return summary
    }

    /// Merges two sorted lists (byte order) and returns up to `limit` lines found in only one.
    static func firstDifferences(_ first: [String], _ second: [String], limit: Int) -> [String] {
        var result: [String] = []
        var i = 0
        var j = 0
        func less(_ a: String, _ b: String) -> Bool { Array(a.utf8).lexicographicallyPrecedes(Array(b.utf8)) }
        while result.count < limit && (i < first.count || j < second.count) {
            if j >= second.count || (i < first.count && less(first[i], second[j])) {
                result.append("- " + first[i]); i += 1
            } else if i >= first.count || less(second[j], first[i]) {
                result.append("+ " + second[j]); j += 1
            } else {
                i += 1; j += 1
            }
        }
        return result
    }
}
