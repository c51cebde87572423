public import Foundation

/// What the independent tools say about a payment document (`scripts/check-payment-document.py`
/// in the test-only Python environment: the ISO 20022 XSDs shipped in sepaxml loaded with
/// xmlschema, IBANs and BICs by schwifty, sums by Python's Decimal, sha256 by hashlib).
///
/// The environment is the folder named by `REIMBURSE_TEST_PYENV` (set by `scripts/test`), else
/// `.build/pyenv` of this checkout (made by `scripts/ensure-test-pyenv`). A test that needs it
/// fails when it is missing: it never skips.
public struct PaymentDocumentCheck: Decodable, Sendable {
    public struct Totals: Decodable, Sendable {
        public var transactions: Int
        public var control_sum: String
    }

    public struct Block: Decodable, Sendable {
        public var id: String
        public var kind: String
        public var charges: String?
        public var date: String?
        public var transactions: Int
        public var control_sum: String
        public var counted_transactions: Int
        public var counted_sum: String
    }

    public var format: String
    public var schema_errors: [String]
    public var group: Totals
    public var counted: Totals
    public var blocks: [Block]
    public var ibans: [String: Bool]
    public var bics: [String: Bool]
    public var outside_sepa_set: [String]
    public var bad_identifiers: [String?]
    public var amounts: [[String]]
    public var names: [String?]
    public var remittances: [String?]
    public var sha256: String

    /// The Python environment's folder.
    public static var environment: String {
        if let named = ProcessInfo.processInfo.environment["REIMBURSE_TEST_PYENV"], !named.isEmpty { return named }
        return TestServer.repositoryRoot + "/.build/pyenv"
    }

    /// Runs the independent checks on `document` (the XML text, written to a temporary file).
    public static func run(_ document: String) throws -> PaymentDocumentCheck {
        let python = environment + "/bin/python"
        guard FileManager.default.isExecutableFile(atPath: python) else {
            throw CheckFailure(
                "the test-only Python environment is missing (\(python)): run scripts/ensure-test-pyenv "
                    + "(scripts/test does) or set REIMBURSE_TEST_PYENV")
        }
        let file = FileManager.default.temporaryDirectory
            .appendingPathComponent("pain-\(UUID().uuidString).xml")
        try Data(document.utf8).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = [TestServer.repositoryRoot + "/scripts/check-payment-document.py", file.path]
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        let errorText = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw CheckFailure("check-payment-document.py failed (\(process.terminationStatus)): \(errorText)")
        }
        return try JSONDecoder().decode(PaymentDocumentCheck.self, from: data)
    }

    public struct CheckFailure: Error, CustomStringConvertible {
        public var description: String
        init(_ description: String) { self.description = description }
    }
}

/// schwifty's verdicts on IBANs and BICs, independent of the database's own checks.
public enum SchwiftyVerdicts {
    /// For each value, true when schwifty accepts it as an IBAN (`kind` "iban") or a BIC ("bic")
    /// written in its electronic form (schwifty's compact form: capitals, no spaces), the only
    /// form the database stores.
    public static func of(_ values: [String], kind: String) throws -> [Bool] {
        let python = PaymentDocumentCheck.environment + "/bin/python"
        guard FileManager.default.isExecutableFile(atPath: python) else {
            throw PaymentDocumentCheck.CheckFailure(
                "the test-only Python environment is missing (\(python)): run scripts/ensure-test-pyenv")
        }
        let script = """
            import json, sys, schwifty
            kind = sys.argv[1]
            def ok(v):
                try:
                    parsed = (schwifty.IBAN if kind == 'iban' else schwifty.BIC)(v)
                    return parsed.compact == v
                except Exception:
                    return False
            print(json.dumps([ok(v) for v in json.load(sys.stdin)]))
            """
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = ["-c", script, kind]
        let input = Pipe()
        let output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        try process.run()
        input.fileHandleForWriting.write(try JSONEncoder().encode(values))
        try input.fileHandleForWriting.close()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw PaymentDocumentCheck.CheckFailure("schwifty check failed (\(process.terminationStatus))")
        }
        return try JSONDecoder().decode([Bool].self, from: data)
    }
}
