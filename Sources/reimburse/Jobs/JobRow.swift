import Postgres

/// One job as `reimburse jobs` and `reimburse job show` print it.
struct JobRow {
    var id: Int64
    var company: String
    var operation: String
    var mode: String
    var state: String
    var attempts: Int
    var maxAttempts: Int
    var customersDone: Int
    var customersTotal: Int?
    var requestedBy: String
    var createdAt: String
    var runAt: String
    var startedAt: String?
    var finishedAt: String?
    var lastError: String?
    var waitReason: String?
    var approvesJobID: Int64?
    var retriesJobID: Int64?
    var dedupeKey: String?
    var cancelRequested: Bool
    /// `result` as PostgreSQL prints the jsonb.
    var resultJSON: String?

    /// Times in UTC, RFC 3339, so the text does not depend on the session's time zone.
    static func utc(_ column: String) -> String {
        "to_char(\(column) AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"
    }

    static let selectList = """
        id, company_id, operation, mode, state, attempts, max_attempts, customers_done, customers_total,
        requested_by, \(utc("created_at")), \(utc("run_at")), \(utc("started_at")), \(utc("finished_at")),
        last_error, wait_reason, approves_job_id, retries_job_id, dedupe_key, cancel_requested, result::text
        """

    init(_ row: PostgresRow) throws {
        id = try row.decode(at: 0)
        company = try row.decode(at: 1)
        operation = try row.decode(at: 2)
        mode = try row.decode(at: 3)
        state = try row.decode(at: 4)
        attempts = try row.decode(at: 5)
        maxAttempts = try row.decode(at: 6)
        customersDone = try row.decode(at: 7)
        customersTotal = try row.decode(at: 8)
        requestedBy = try row.decode(at: 9)
        createdAt = try row.decode(at: 10)
        runAt = try row.decode(at: 11)
        startedAt = try row.decode(at: 12)
        finishedAt = try row.decode(at: 13)
        lastError = try row.decode(at: 14)
        waitReason = try row.decode(at: 15)
        approvesJobID = try row.decode(at: 16)
        retriesJobID = try row.decode(at: 17)
        dedupeKey = try row.decode(at: 18)
        cancelRequested = try row.decode(at: 19)
        resultJSON = try row.decode(at: 20)
    }

    var progressText: String {
        guard let customersTotal else { return state == "queued" ? "-" : "\(customersDone)/?" }
        return "\(customersDone)/\(customersTotal)"
    }

    /// What a person should read first: the error of a failed job, why a queued job waits.
    var note: String? {
        if let lastError, state == "failed" || state == "queued" { return lastError }
        if let waitReason { return waitReason }
        if cancelRequested, state == "queued" || state == "running" { return "cancel requested" }
        return lastError
    }

    var json: JSONFields {
        var fields = JSONFields()
        fields.add("id", id)
        fields.add("company_id", company)
        fields.add("operation", operation)
        fields.add("mode", mode)
        fields.add("state", state)
        fields.add("attempts", attempts)
        fields.add("max_attempts", maxAttempts)
        fields.add("customers_done", customersDone)
        fields.add("customers_total", customersTotal)
        fields.add("requested_by", requestedBy)
        fields.add("created_at", createdAt)
        fields.add("run_at", runAt)
        fields.add("started_at", startedAt)
        fields.add("finished_at", finishedAt)
        fields.add("last_error", lastError)
        fields.add("wait_reason", waitReason)
        fields.add("approves_job_id", approvesJobID)
        fields.add("retries_job_id", retriesJobID)
        fields.add("dedupe_key", dedupeKey)
        fields.add("cancel_requested", cancelRequested)
        fields.addRaw("result", json: resultJSON)
        return fields
    }
}
