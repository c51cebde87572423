public import Postgres
public import ReimburseEngine

/// "No posting outside an open period" (PRODUCT.md section 6, "Ledger periods").
///
/// A company without `ledger_period` rows has no period control. Otherwise the job's
/// effective posting date must lie in a period (both dates inclusive) whose status is `open`:
/// checked when the job starts (previews too, before anything is written) and again at the
/// start of every chunk, so a period put on hold or closed while the job runs stops it at its
/// next chunk, keeping what the earlier chunks posted. Operation-agnostic: reversal and payment
/// runs are checked on their own dates the same way.
///
/// Locking (`ledger_period_for_posting`, sql/0021): the chunk takes its company's row
/// `FOR SHARE` until it commits, and every change of a period (a trigger) takes it
/// `FOR NO KEY UPDATE`. A finance team's `UPDATE ... SET status = 'closed'` or a new closed
/// period over a gap waits for
/// the chunk in flight (one short transaction) and then commits; the next chunk sees it. So no
/// posting commits into a period after its close committed, and nobody waits longer than one
/// chunk. A close in progress makes the chunk wait in turn (bounded by the chunk's
/// `lock_timeout`, after which the job waits without using an attempt) and then read the new
/// status. The check at start is a plain read (that transaction is read-only).
public enum LedgerPeriodCheck {
    static let periodSQL = """
        SELECT controlled, period_start, period_end, status FROM ledger_period_for_posting($1, $2, $3)
        """

    /// At job start: throws ``JobFailure`` when the date is outside an open period.
    public static func atStart(companyID: String, date: LocalDate, on connection: PostgresConnection) throws {
        if let problem = try problem(companyID: companyID, date: date, lock: false, on: connection) {
            throw JobFailure(problem + "; nothing was posted. Open the period, or give the job a posting_date "
                + "in an open period, and enqueue it again")
        }
    }

    /// At the start of each chunk, inside its transaction: share-locks the period and throws
    /// ``JobFailure`` (the chunk rolls back, the job fails keeping the earlier chunks) when it
    /// is no longer open.
    public static func duringChunk(companyID: String, date: LocalDate, on connection: PostgresConnection) throws {
        if let problem = try problem(companyID: companyID, date: date, lock: true, on: connection) {
            throw JobFailure(problem + " while the job ran; it stopped at a chunk boundary and keeps what it "
                + "posted before (see result)")
        }
    }

    /// The refusal in words (company code, date and period), or nil when posting is allowed.
    static func problem(
        companyID: String, date: LocalDate, lock: Bool, on connection: PostgresConnection
    ) throws -> String? {
        let rows = try connection.query(periodSQL, companyID, date, lock) { row in
            (try row.decode(Bool.self, at: 0), try row.decode(LocalDate?.self, at: 1),
             try row.decode(LocalDate?.self, at: 2), try row.decode(String?.self, at: 3))
        }
        guard let (controlled, start, end, status) = rows.first, controlled else { return nil }
        guard let start, let end, let status else {
            return "company \(companyID): posting date \(date) is in no ledger period (the company has ledger periods, "
                + "so a posting needs an open one)"
        }
        if status == "open" { return nil }
        return "company \(companyID): posting date \(date) is in ledger period \(start)..\(end), which is \(status)"
    }
}
