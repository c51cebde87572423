import Foundation
import LocalPostgres
import Postgres
import ReimburseTestSupport
import Testing

/// Issue 19 item 8: the README's "Creating the database and the logins", run on a fresh server
/// (no Reimburse role exists yet): the owner's privileges are enough for the first migration,
/// and a login that is only a member of reimburse_service runs a job.
@Suite("deploy: database, owner and daemon login as the README says")
struct DeploySetupTests {
    @Test func theDocumentedPrivilegesAreEnough() async throws {
        let cluster = try LocalPostgresCluster.start(prefix: "reimburse-deploy")
        defer { cluster.destroy() }
        let superuser = try PostgresConnection(conninfo: cluster.conninfo())
        try superuser.execute("CREATE ROLE reimburse_owner LOGIN CREATEROLE")
        try superuser.execute("CREATE DATABASE reimburse OWNER reimburse_owner")
        let owner = cluster.conninfo(database: "reimburse", user: "reimburse_owner")
        let migrated = try await Reimburse.run("migrate", "--database-url", owner)
        #expect(migrated.exitCode == 0, "\(migrated)")
        let connection = try PostgresConnection(conninfo: owner)
        try connection.execute("CREATE ROLE reimburse_daemon LOGIN IN ROLE reimburse_service")
        try LedgerFixture.company("USMF", on: connection)
        try LedgerFixture.customer("USMF", "C-1", on: connection)
        try LedgerFixture.transaction("USMF", "C-1", amount: "-12.00", on: connection)
        let job = try LedgerFixture.job("USMF", on: connection)
        let served = try await Reimburse.run(
            "serve", "--exit-when-idle", "--database-url", cluster.conninfo(database: "reimburse", user: "reimburse_daemon"))
        #expect(served.exitCode == 0, "\(served)")
        #expect(try connection.queryValue(String.self, "SELECT state FROM reimbursement_job WHERE id = $1", job) == "succeeded")
        // The daemon's login runs the unit's migrate at start with nothing to apply (sql/0007).
        let again = try await Reimburse.run(
            "migrate", "--database-url", cluster.conninfo(database: "reimburse", user: "reimburse_daemon"))
        #expect(again.exitCode == 0, "\(again)")
    }
}
