import ArgumentParser
import Postgres

/// `reimburse payments --job N [--currency C]`: prints the ISO 20022 payment document of a pay
/// job (PRODUCT.md sections 5 and 9), exactly as stored, for a bank upload.
struct PaymentsCommand: ParsableCommand, DatabaseCommand {
    static let configuration = CommandConfiguration(
        commandName: "payments",
        abstract: "Print the payment document (ISO 20022 pain.001) of a pay job.",
        discussion: """
            A pay job writes one document per currency when it ends (a preview's are marked \
            preview). This prints one of them to standard output, byte for byte as stored in \
            payment_file.document; its SHA-256 is payment_file.sha256. --currency is needed when \
            the run paid in several currencies.

            Example:
              reimburse payments --job 42 > USMF-42-EUR.xml
              reimburse payments --job 43 --currency GBP
            """
    )

    @OptionGroup var global: GlobalOptions

    @Option(help: "The pay job whose document to print.")
    var job: Int64

    @Option(help: "The document's currency (ISO 4217), when the run has several.")
    var currency: String?

    static let sql = """
        SELECT f.currency::text, f.document, j.operation
          FROM reimbursement_job j
          LEFT JOIN payment_file f ON f.company_id = j.company_id AND f.job_id = j.id
         WHERE j.id = $1
         ORDER BY f.currency
        """

    func run() throws {
        let connection = try global.connect(as: "payments")
        let rows = try connection.query(Self.sql, job) { row in
            (try row.decode(String?.self, at: 0), try row.decode(String?.self, at: 1), try row.decode(String.self, at: 2))
        }
        guard let first = rows.first else {
            throw CommandFailure.badData("job \(job) does not exist (or its company is not granted to you)")
        }
        guard first.2 == "pay" else {
            throw CommandFailure.badData("job \(job) is a \(first.2) job: only pay jobs have payment documents")
        }
        let documents = rows.compactMap { row in row.0.flatMap { currency in row.1.map { (currency, $0) } } }
        guard !documents.isEmpty else {
            throw CommandFailure.badData("job \(job) has no payment document (it has not finished, or it paid nothing)")
        }
        let chosen: (String, String)
        if let currency {
            guard let match = documents.first(where: { $0.0 == currency }) else {
                throw CommandFailure.badData(
                    "job \(job) has no \(currency) document; it has: \(documents.map(\.0).joined(separator: ", "))")
            }
            chosen = match
        } else {
            guard documents.count == 1 else {
                throw CommandFailure.badData(
                    "job \(job) has documents in \(documents.map(\.0).joined(separator: ", ")): choose one with --currency")
            }
            chosen = documents[0]
        }
        print(chosen.1, terminator: "")
    }
}
