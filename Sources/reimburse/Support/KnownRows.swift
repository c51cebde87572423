import Postgres

/// Checks that a company or a job named on the command line exists (and is visible to the
/// login, under row-level security) before a command reads or changes anything, so that a
/// typo is a person's mistake (exit 65) rather than an empty result that looks like success.
enum KnownRows {
    static func requireCompany(_ company: String, on connection: PostgresConnection) throws {
        let known = try connection.queryValue(Bool.self, "SELECT EXISTS (SELECT 1 FROM company WHERE id = $1)", company)
        guard known == true else {
            throw CommandFailure.badData("unknown company '\(company)' (or not granted to this login)")
        }
    }

    static func requireJob(_ job: Int64, on connection: PostgresConnection) throws {
        let known = try connection.queryValue(
            Bool.self, "SELECT EXISTS (SELECT 1 FROM reimbursement_job WHERE id = $1)", job)
        guard known == true else {
            throw CommandFailure.badData("unknown job \(job) (or its company is not granted to this login)")
        }
    }
}
