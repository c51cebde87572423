import Postgres

/// Runs ``SetBasedReimbursement`` in one transaction and times each statement.
struct SetBasedRun {
    struct Step {
        var name: String
        var seconds: Double
        /// Rows written, or the count a check returned.
        var rows: Int
    }

    var jobID: Int
    var seconds: Double
    var steps: [Step]

    /// Runs the whole plan for `company` on `connection` (the schema owner, as a DBA runs it),
    /// posting on `postingDate` (YYYY-MM-DD). Rolls back and throws, naming the statement, when
    /// a statement fails or a check does not hold.
    static func run(on connection: PostgresConnection, company: String, postingDate: String) throws -> SetBasedRun {
        // A session setting a DBA gives such a script: the temporary tables stay in memory
        // (it must be set before the session touches its first temporary table).
        try connection.execute("SET temp_buffers = '256MB'")
        let start = ContinuousClock.now
        var steps: [Step] = []
        try connection.execute("BEGIN")
        do {
            let (jobID, startSeconds) = try Stopwatch.time {
                try connection.intValue(SetBasedReimbursement.startJob.sql, company, postingDate)
            }
            steps.append(Step(name: SetBasedReimbursement.startJob.name, seconds: startSeconds, rows: 1))
            var settlements = 0
            for statement in SetBasedReimbursement.steps {
                let parameters: [any PostgresEncodable] = statement.parameters.map { parameter in
                    switch parameter {
                    case .company: company
                    case .job: jobID
                    case .postingDate: postingDate
                    }
                }
                let (result, seconds) = try Stopwatch.time {
                    do {
                        return try connection.execute(statement.sql, parameters: parameters)
                    } catch {
                        throw BenchmarkError("set-based SQL: statement \(statement.name) failed: \(error)")
                    }
                }
                var rows = result.affectedRows
                if let expected = statement.expectedCount {
                    rows = try result.first?.decode(Int.self, at: 0) ?? -1
                    guard rows == expected else {
                        throw BenchmarkError("set-based SQL: check \(statement.name) gave \(rows), expected \(expected)")
                    }
                }
                if statement.name == SetBasedReimbursement.insertSettlements.name { settlements = rows }
                if statement.name == SetBasedReimbursement.settleCredits.name && rows != settlements {
                    throw BenchmarkError(
                        "set-based SQL: \(settlements - rows) settled credit(s) changed during the run; rolled back")
                }
                steps.append(Step(name: statement.name, seconds: seconds, rows: rows))
            }
            let (_, commitSeconds) = try Stopwatch.time { try connection.execute("COMMIT") }
            steps.append(Step(name: "commit", seconds: commitSeconds, rows: 0))
            return SetBasedRun(jobID: jobID, seconds: Stopwatch.seconds(ContinuousClock.now - start), steps: steps)
        } catch {
            _ = try? connection.execute("ROLLBACK")
            throw error
        }
    }

    /// One line per statement: seconds, share and rows.
    func describe() -> [String] {
        steps.map { step in
            "    \(Format.fixed(step.seconds, 3)) s  \(Format.fixed(100 * step.seconds / max(seconds, 1e-9), 0).leftPadded(3))%  "
                + "\(step.name) (\(Format.grouped(step.rows)) rows)"
        }
    }
}

extension String {
    func leftPadded(_ width: Int) -> String {
        count >= width ? self : String(repeating: " ", count: width - count) + self
    }
}
