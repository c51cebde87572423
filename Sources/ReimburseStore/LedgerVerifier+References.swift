/// The references that sql/0022 moved out of foreign keys into statement-level checks
/// (one anti-join per written statement instead of one query per row): each row still points
/// at an existing row, checked again here after the fact. A check is named after the
/// constraint the database raises, so a finding and an INSERT error speak of the same thing.
extension LedgerVerifier {
    private static func referenceFilter(_ alias: String) -> String {
        "($1::text IS NULL OR \(alias).company_id = $1::text)"
    }

    /// One check: every `child` row whose `column` is set names an existing `parent` row of
    /// its company. `label` builds the row reference (`"<table> <id>"`) of the child.
    private static func reference(
        _ name: String, child: String, column: String, parent: String, label: String, needs: [String] = []
    ) -> Check {
        Check(
            name: name,
            summary: "every \(child).\(column) names a \(parent) of its company (sql/0022: checked per statement)",
            sql: """
                SELECT c.company_id,
                       format('%s points at \(parent) %s, which does not exist', \(label), c.\(column)),
                       ARRAY[\(label)]
                  FROM \(child) c
                 WHERE \(referenceFilter("c")) AND c.\(column) IS NOT NULL
                   AND NOT EXISTS (SELECT 1 FROM \(parent) p WHERE p.company_id = c.company_id AND p.id = c.\(column))
                 ORDER BY 1, 2
                """,
            needs: needs)
    }

    static let referenceChecks: [Check] = [
        reference(
            "customer_settlement_reimbursement_fk", child: "customer_settlement", column: "reimbursement_id",
            parent: "reimbursement", label: "'customer_settlement ' || c.id"),
        reference(
            "ledger_entry_reimbursement_fk", child: "ledger_entry", column: "reimbursement_id",
            parent: "reimbursement", label: "'ledger_entry ' || c.voucher || '/' || c.line"),
        reference(
            "reimbursement_reversal_reimbursement_fk", child: "reimbursement_reversal", column: "reimbursement_id",
            parent: "reimbursement", label: "'reimbursement_reversal ' || c.id", needs: ["reimbursement_reversal"]),
        reference(
            "vendor_payment_invoice_fk", child: "vendor_payment", column: "vendor_invoice_id",
            parent: "vendor_invoice", label: "'vendor_payment ' || c.id", needs: ["vendor_payment"]),
        reference(
            "vendor_payment_file_fk", child: "vendor_payment", column: "payment_file_id",
            parent: "payment_file", label: "'vendor_payment ' || c.id", needs: ["vendor_payment", "payment_file"]),
    ]
}
