public import Postgres
public import ReimburseEngine

/// The date a job posts on (PRODUCT.md section 6, "The company's day").
///
/// Resolved once, when the job first starts: its `posting_date` when the user gave one, else
/// the company's local date at that moment, `(clock_timestamp() AT TIME ZONE
/// company.time_zone)::date`, computed by PostgreSQL, so neither the daemon host's `TZ` nor
/// the session's or the database's `TimeZone` plays any part. The first chunk's commit stores
/// it in `reimbursement_job.effective_posting_date`; from then on (a resume after a crash, on
/// another day, by another worker) the stored date is used and never recomputed. An attempt
/// that committed no chunk posted nothing, so the next attempt resolves the date afresh.
/// Operation-agnostic: whatever a job does, it posts on this date.
public struct EffectivePostingDate: Sendable, Equatable {
    /// The date every row of the job carries.
    public var date: LocalDate
    /// True when the job has no stored date yet: the first chunk's commit records ``date``.
    public var needsRecording: Bool

    static let resolveSQL = """
        SELECT j.effective_posting_date,
               CASE WHEN j.effective_posting_date IS NULL
                    THEN coalesce(j.posting_date, (clock_timestamp() AT TIME ZONE c.time_zone)::date) END,
               c.time_zone
          FROM reimbursement_job j
          JOIN company c ON c.id = j.company_id
         WHERE j.company_id = $1 AND j.id = $2
        """

    /// Reads the stored date, or resolves it. Throws ``JobFailure`` when the company's time
    /// zone is one this server no longer knows (its zone files changed since it was checked).
    public static func resolve(
        companyID: String, jobID: Int64, on connection: PostgresConnection
    ) throws -> EffectivePostingDate {
        let rows: [(LocalDate?, LocalDate?, String)]
        do {
            rows = try connection.query(resolveSQL, companyID, jobID) { row in
                (try row.decode(LocalDate?.self, at: 0), try row.decode(LocalDate?.self, at: 1),
                 try row.decode(String.self, at: 2))
            }
        } catch let error as PostgresError where error.sqlState == "22023" {
            throw JobFailure(
                "company \(companyID): its time_zone is not known to this PostgreSQL server (\(error.message)); "
                    + "set company.time_zone to an IANA name such as Europe/Helsinki, or give the job a posting_date")
        }
        guard let (stored, resolved, _) = rows.first else {
            throw JobFailure("job \(jobID) of company \(companyID) no longer exists")
        }
        if let stored { return EffectivePostingDate(date: stored, needsRecording: false) }
        guard let resolved else { throw JobFailure("job \(jobID): no posting date could be resolved") }
        return EffectivePostingDate(date: resolved, needsRecording: true)
    }
}
