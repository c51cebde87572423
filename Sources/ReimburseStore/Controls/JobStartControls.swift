public import Postgres
public import ReimburseEngine

/// The financial controls a job passes before it writes anything (PRODUCT.md section 6), in
/// this order: four eyes, the effective posting date, the ledger period of that date. One call
/// from the runner's start, whatever the job's operation.
public enum JobStartControls {
    /// Returns the job's effective posting date; throws ``JobFailure`` when a control refuses.
    public static func check(companyID: String, jobID: Int64, on connection: PostgresConnection) throws
        -> EffectivePostingDate
    {
        try FourEyesCheck.atStart(companyID: companyID, jobID: jobID, on: connection)
        let date = try EffectivePostingDate.resolve(companyID: companyID, jobID: jobID, on: connection)
        try LedgerPeriodCheck.atStart(companyID: companyID, date: date.date, on: connection)
        return date
    }
}
