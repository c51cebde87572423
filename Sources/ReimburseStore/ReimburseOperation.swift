import Postgres
import ReimburseEngine

/// `operation = 'reimburse'` (PRODUCT.md §1): customers keyed by account, planned by
/// ``ReimbursementPlanner``, posted by ``ChunkPoster``.
struct ReimburseOperation: JobOperation {
    let job: StoredJob
    let company: CompanyRules
    let postingDate: LocalDate
    let planner: ReimbursementPlanner

    init(job: StoredJob, company: CompanyRules, postingDate: LocalDate) {
        self.job = job
        self.company = company
        self.postingDate = postingDate
        self.planner = ReimbursementPlanner(
            company: company,
            options: JobOptions(
                debitHandling: DebitHandling(rawValue: job.debitHandling) ?? .skip,
                summarize: job.summarize,
                postingDate: postingDate,
                mode: job.engineMode))
    }

    func storedKey(_ key: Code) -> Code { key }
    func key(stored: Code) throws -> Code { stored }

    func countSelected(on connection: PostgresConnection) throws -> Int {
        try ChunkLoader(connection: connection, job: job).countSelected()
    }

    func nextKeys(after: Code?, limit: Int, on connection: PostgresConnection) throws -> [Code] {
        try ChunkLoader(connection: connection, job: job).nextKeys(after: after, limit: limit)
    }

    func lock(_ keys: [Code], on connection: PostgresConnection) throws -> ChunkLoader.Chunk {
        try ChunkLoader(connection: connection, job: job).lock(keys)
    }

    func process(
        _ chunk: ChunkLoader.Chunk, tally: JobTally, stagedWrites: Bool, on connection: PostgresConnection
    ) throws -> JobTally {
        guard !chunk.customers.isEmpty else { return tally }
        let poster = ChunkPoster(
            connection: connection, job: job, company: company, postingDate: postingDate, stagedWrites: stagedWrites,
            withoutName: chunk.withoutName, withoutAddress: chunk.withoutAddress)
        return try ChunkProcessor(connection: connection, poster: poster, planner: planner).process(chunk, tally: tally)
    }

    func storedTally(_ result: String?) throws -> JobTally {
        guard let result, !result.isEmpty else { return JobTally() }
        return try JobTally(storedResult: result)
    }

    func resultJSON(_ tally: JobTally) -> String { tally.resultJSON() }
    func outcomeTally(_ tally: JobTally) -> JobTally { tally }

    func waitReason(locked: [Code]) -> String { JobRunner.waitReason(lockedCustomers: locked) }
}

extension ChunkLoader.Chunk: LockedChunk {
    var unitCount: Int { customers.count }
}
