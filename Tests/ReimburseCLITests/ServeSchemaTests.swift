import Foundation
import Postgres
import ReimburseTestSupport
import Testing

/// Issue 19 item 2: `serve` on a database the migrations never ran on logged "ready" and
/// retried for ever ("database unavailable"); it exits 78 with one line saying what to run.
@Suite("reimburse serve without a schema")
struct ServeSchemaTests {
    @Test(arguments: [true, false])
    func serveOnAnUnmigratedDatabaseExits78InOneLine(exitWhenIdle: Bool) async throws {
        let database = try await TestServer.database(migrated: false)
        let arguments = ["serve", "--workers", "1", "--database-url", database.conninfo]
            + (exitWhenIdle ? ["--exit-when-idle"] : [])
        let outcome = try await Reimburse.start(arguments).wait(timeout: .seconds(30))
        #expect(outcome.exitCode == 78, "\(outcome)")
        #expect(outcome.errorLines.count == 1, "\(outcome)")
        #expect(outcome.standardError.hasPrefix("reimburse: error: "), "\(outcome)")
        #expect(outcome.standardError.contains("run 'reimburse migrate'"), "\(outcome)")
        #expect(!outcome.standardError.contains("ready"), "\(outcome)")
    }

    /// Another schema named by --schema is looked for, not public.
    @Test func serveNamesTheSchemaItLookedIn() async throws {
        let database = try await TestServer.database()
        let outcome = try await Reimburse.start(
            ["serve", "--exit-when-idle", "--schema", "elsewhere", "--database-url", database.conninfo]
        ).wait(timeout: .seconds(30))
        #expect(outcome.exitCode == 78, "\(outcome)")
        #expect(outcome.standardError.contains("schema \"elsewhere\""), "\(outcome)")
    }
}
