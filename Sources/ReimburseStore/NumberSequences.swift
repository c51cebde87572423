import Postgres

/// The company's gap-free number sequences, taken under a row lock for the length of one chunk
/// transaction: numbers are handed out in order and written back in the same commit, so a
/// rolled-back chunk consumes none.
struct NumberSequences {
    struct Sequence {
        var prefix: String
        var nextValue: Int64
        var width: Int
        var taken: Int64 = 0

        /// The next number, or nil when the value after it would not fit `next_value` (bigint):
        /// handing it out would leave a `next_value` that cannot be saved.
        mutating func next() -> String? {
            let (value, overflow) = nextValue.addingReportingOverflow(taken)
            guard !overflow, value < Int64.max else { return nil }
            taken += 1
            let digits = String(value)
            let padding = max(0, width - digits.count)
            return prefix + String(repeating: "0", count: padding) + digits
        }
    }

    let companyID: String
    private(set) var sequences: [String: Sequence]

    /// Locks and reads the company's sequences (`$1`: the company).
    static let lockSQL = """
        SELECT name, prefix, next_value, width FROM number_sequence
         WHERE company_id = $1 ORDER BY name FOR UPDATE
        """

    static func lock(companyID: String, on connection: PostgresConnection) throws -> NumberSequences {
        try NumberSequences(companyID: companyID, locked: connection.execute(lockSQL, companyID))
    }

    /// The sequences as ``lockSQL`` returned them; throws ``JobFailure`` when one the company
    /// needs is missing.
    init(companyID: String, locked result: PostgresResult) throws {
        var sequences: [String: Sequence] = [:]
        for index in 0..<result.rowCount {
            let row = result[index]
            let name = try row.decode(String.self, at: 0)
            guard sequences[name] == nil else { continue }
            sequences[name] = Sequence(
                prefix: try row.decode(at: 1), nextValue: try row.decode(at: 2), width: try row.decode(at: 3))
        }
        for name in CompanySettings.sequenceNames where sequences[name] == nil {
            throw JobFailure.missingSequence(companyID: companyID, name: name)
        }
        self.init(companyID: companyID, sequences: sequences)
    }

    private init(companyID: String, sequences: [String: Sequence]) {
        self.companyID = companyID
        self.sequences = sequences
    }

    /// The next number of sequence `name`. Throws when the sequence is exhausted, so that the
    /// chunk rolls back and the job fails with a message instead of a trap or an SQL overflow.
    mutating func next(_ name: String) throws -> String {
        guard let number = sequences[name]?.next() else {
            throw JobFailure(
                "company \(companyID): number sequence '\(name)' is exhausted (next_value reached \(Int64.max), "
                    + "the largest bigint); start a new series in number_sequence (a new prefix and a lower "
                    + "next_value) and retry the job (reimburse retry <job>)")
        }
        return number
    }

    static let saveSQL = """
        UPDATE number_sequence s SET next_value = s.next_value + u.taken
          FROM unnest($2::text[], $3::bigint[]) AS u(name, taken)
         WHERE s.company_id = $1 AND s.name = u.name
        """

    /// The parameters of ``saveSQL``, or nil when nothing was taken.
    private var saveParameters: [any PostgresEncodable]? {
        let used = sequences.filter { $0.value.taken > 0 }.sorted { $0.key < $1.key }
        guard !used.isEmpty else { return nil }
        return [companyID, used.map(\.key), used.map(\.value.taken)]
    }

    /// Writes back what was taken, in one statement.
    func save(on connection: PostgresConnection) throws {
        guard let parameters = saveParameters else { return }
        try connection.execute(Self.saveSQL, parameters: parameters)
    }

    /// Sends the write-back of what was taken with a posting's other statements.
    func save(to statements: ChunkStatements) throws {
        guard let parameters = saveParameters else { return }
        try statements.execute(Self.saveSQL, parameters)
    }
}
