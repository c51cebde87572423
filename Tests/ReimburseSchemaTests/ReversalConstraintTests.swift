import Postgres
import ReimburseTestSupport
import Testing

/// The constraints of a reversal (sql/0015, PRODUCT.md section 8), each refused at INSERT by
/// name, each beside the corrected row that is accepted. The seed is ``ConstraintCase/seed``:
/// company A has the finished post job 905 with reimbursement 701 (posted 2024-03-31), the
/// queued post job 901 and the succeeded preview 902; company B has none of them.
extension ConstraintCase {
    static let reverseInsert = """
        INSERT INTO reimbursement_job (company_id, operation, reversal_reason, reverses_job_id, reverses_reimbursement_ids)
        """
    static let noID = Int64?.none
    static let noText = String?.none

    static let reversal: [ConstraintCase] = [
        ConstraintCase(
            name: "reversal naming nothing",
            statement: reverseInsert + " VALUES ('A', 'reverse', 'typo', $1, NULL)",
            bad: [noID], good: [Int64(905)], constraint: "reimbursement_job_reversal_names_one_target", sqlState: check),
        ConstraintCase(
            name: "reversal naming a job and ids",
            statement: reverseInsert + " VALUES ('A', 'reverse', 'typo', $1, '{701}')",
            bad: [Int64(905)], good: [noID], constraint: "reimbursement_job_reversal_names_one_target", sqlState: check),
        ConstraintCase(
            name: "reversal without a reason",
            statement: reverseInsert + " VALUES ('A', 'reverse', $1, 905, NULL)",
            bad: [noText], good: ["typo"], constraint: "reimbursement_job_reversal_reason_present", sqlState: check),
        ConstraintCase(
            name: "reversal with a blank reason",
            statement: reverseInsert + " VALUES ('A', 'reverse', $1, 905, NULL)",
            bad: ["  "], good: ["typo"], constraint: "reimbursement_job_reversal_reason_present", sqlState: check),
        ConstraintCase(
            name: "reversal reason of 2,001 characters",
            statement: reverseInsert + " VALUES ('A', 'reverse', $1, 905, NULL)",
            bad: [String(repeating: "x", count: 2001)], good: ["typo"],
            constraint: "reimbursement_job_reversal_reason_length", sqlState: check),
        ConstraintCase(
            name: "reversal fields on a reimburse job",
            statement: "INSERT INTO reimbursement_job (company_id, reversal_reason) VALUES ('A', $1)",
            bad: ["typo"], good: [noText], constraint: "reimbursement_job_reversal_fields_only_for_reverse",
            sqlState: check),
        ConstraintCase(
            name: "unknown operation",
            statement: "INSERT INTO reimbursement_job (company_id, operation) VALUES ('A', $1)",
            bad: ["refund"], good: ["reimburse"], constraint: "reimbursement_job_operation_valid", sqlState: check),
        ConstraintCase(
            name: "reversed ids with a NULL element",
            statement: reverseInsert + " VALUES ('A', 'reverse', 'typo', NULL, $1::bigint[])",
            bad: ["{701,NULL}"], good: ["{701}"],
            constraint: "reimbursement_job_reversed_ids_no_null_elements", sqlState: check),
        ConstraintCase(
            name: "reversed ids in two dimensions",
            statement: reverseInsert + " VALUES ('A', 'reverse', 'typo', NULL, $1::bigint[])",
            bad: ["{{701},{701}}"], good: ["{701}"],
            constraint: "reimbursement_job_reversed_ids_one_dimension_from_1", sqlState: check),
        ConstraintCase(
            name: "reversed ids from subscript 0",
            statement: reverseInsert + " VALUES ('A', 'reverse', 'typo', NULL, $1::bigint[])",
            bad: ["[0:0]={701}"], good: ["{701}"],
            constraint: "reimbursement_job_reversed_ids_one_dimension_from_1", sqlState: check),
        ConstraintCase(
            name: "reversed ids empty",
            statement: reverseInsert + " VALUES ('A', 'reverse', 'typo', NULL, $1::bigint[])",
            bad: ["{}"], good: ["{701}"],
            constraint: "reimbursement_job_reversed_ids_not_empty", sqlState: check),
        ConstraintCase(
            name: "reversed id that does not exist",
            statement: reverseInsert + " VALUES ('A', 'reverse', 'typo', NULL, $1::bigint[])",
            bad: ["{701,702}"], good: ["{701}"],
            constraint: "reimbursement_job_reverses_reimbursements_exist", sqlState: check),
        ConstraintCase(
            name: "reversed id of another company",
            statement: reverseInsert + " VALUES ($1, 'reverse', 'typo', NULL, '{701}')",
            bad: ["B"], good: ["A"], constraint: "reimbursement_job_reverses_reimbursements_exist", sqlState: check),
        ConstraintCase(
            name: "reversed job of another company",
            statement: reverseInsert + " VALUES ($1, 'reverse', 'typo', 905, NULL)",
            bad: ["B"], good: ["A"], constraint: "reimbursement_job_reverses_fk", sqlState: foreignKey),
        ConstraintCase(
            name: "reversed job still queued",
            statement: reverseInsert + " VALUES ('A', 'reverse', 'typo', $1, NULL)",
            bad: [Int64(901)], good: [Int64(905)], constraint: "reimbursement_job_reverses_finished_post_job",
            sqlState: check),
        ConstraintCase(
            name: "reversed job is a preview",
            statement: reverseInsert + " VALUES ('A', 'reverse', 'typo', $1, NULL)",
            bad: [Int64(902)], good: [Int64(905)], constraint: "reimbursement_job_reverses_finished_post_job",
            sqlState: check),
        ConstraintCase(
            name: "reversal dated before the original",
            statement: """
                INSERT INTO reimbursement_job (company_id, operation, reversal_reason, reverses_job_id, posting_date)
                VALUES ('A', 'reverse', 'typo', 905, $1::date)
                """,
            bad: ["2024-03-30"], good: ["2024-03-31"],
            constraint: "reimbursement_job_reversal_date_not_before_original", sqlState: check),
        ConstraintCase(
            name: "reversal skip row without a currency",
            statement: """
                INSERT INTO reimbursement_skip (job_id, company_id, customer_account, currency, reason, reimbursement_id)
                VALUES (901, 'A', 'C1', $1, 'vendor_invoice_paid', 701)
                """,
            bad: [noText], good: ["EUR"], constraint: "reimbursement_skip_currency_matches_reason", sqlState: check),
        ConstraintCase(
            name: "reversal line on the original's side",
            statement: """
                INSERT INTO ledger_entry (company_id, voucher, line, posting_date, account, posting_type, currency, amount,
                                          amount_accounting, reimbursement_id, reversal_id)
                VALUES ('A', 'RV-00000009', 1, DATE '2024-04-01', '1200', 'customer_reimbursement', 'EUR', $1, $1, 701, 1)
                """,
            bad: [Int64(10)], good: [Int64(-10)], constraint: "ledger_entry_posting_type_side", sqlState: check),
        ConstraintCase(
            name: "a reimbursement reversed twice",
            statement: """
                INSERT INTO reimbursement_reversal (company_id, reimbursement_id, job_id, voucher, posting_date, reason,
                                                    requested_by)
                VALUES ('A', 701, 905, $1, DATE '2024-04-01', 'typo', 'me')
                """,
            setup: [SQL("""
                INSERT INTO reimbursement_reversal (company_id, reimbursement_id, job_id, voucher, posting_date, reason,
                                                    requested_by)
                VALUES ('A', 701, 905, 'RV-00000002', DATE '2024-04-01', 'typo', 'me')
                """)],
            bad: ["RV-00000003"], constraint: "reimbursement_reversal_reimbursement_key", sqlState: unique),
        ConstraintCase(
            name: "a cancelled invoice with something left to pay",
            statement: "UPDATE vendor_invoice SET reversal_id = 1, settled_amount = $1 WHERE company_id = 'A' AND id = 801",
            setup: [SQL("""
                INSERT INTO vendor_invoice (company_id, id, vendor_account, invoice_number, voucher, invoice_date, due_date,
                                            currency, amount, amount_accounting, reimbursement_id)
                VALUES ('A', 801, 'V1', 'VI-00000001', 'RV-00000001', DATE '2024-03-31', DATE '2024-03-31', 'EUR', 50, 50, 701)
                """)],
            bad: [Int64(0)], good: [Int64(50)], constraint: "vendor_invoice_cancelled_fully_settled", sqlState: check),
    ]
}

@Suite("Reversal constraints")
struct ReversalConstraintTests {
    @Test("each reversal constraint rejects its bad row", arguments: ConstraintCase.reversal)
    func rejects(_ testCase: ConstraintCase) async throws {
        try await ConstraintTests().rejects(testCase)
    }

    /// An approving job takes the operation, target and reason of its reverse preview.
    @Test func anApprovalTakesItsReversePreview() async throws {
        let database = try await TestServer.database()
        let row = try await database.withConnection { connection in
            try ConstraintCase.seed(connection)
            try connection.execute("""
                INSERT INTO reimbursement_job (id, company_id, mode, operation, reversal_reason, reverses_reimbursement_ids, state)
                VALUES (907, 'A', 'preview', 'reverse', 'typo', '{701}', 'succeeded')
                """)
            return try connection.queryValue(String.self, """
                INSERT INTO reimbursement_job (company_id, approves_job_id) VALUES ('A', 907)
                RETURNING operation || '|' || reverses_reimbursement_ids::text || '|' || reversal_reason
                """)
        }
        #expect(row == "reverse|{701}|typo")
    }
}
