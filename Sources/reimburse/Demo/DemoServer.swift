import Foundation
import LocalPostgres
import Postgres

/// The database the demo writes to: a private throwaway cluster it starts (the default), or a
/// database the user named.
struct DemoServer: Sendable {
    let conninfo: String?
    /// Set when the demo started its own server; it is stopped and removed at the end.
    let cluster: LocalPostgresCluster?
    static let databaseName = "reimburse"

    static func given(conninfo: String?) -> DemoServer {
        DemoServer(conninfo: conninfo, cluster: nil)
    }

    /// Starts a cluster and creates the demo's database in it. Blocks (initdb takes seconds).
    static func startPrivate(interruptCleanup: InterruptCleanup) throws -> DemoServer {
        let cluster = try LocalPostgresCluster.start(prefix: "reimburse-demo")
        interruptCleanup.protect(cluster)
        let admin = try PostgresConnection(conninfo: cluster.conninfo(), applicationName: "reimburse demo")
        try admin.execute("CREATE DATABASE \(try admin.quoteIdentifier(databaseName))")
        return DemoServer(conninfo: cluster.conninfo(database: databaseName), cluster: cluster)
    }

    /// How a person reaches the kept server, and how to stop it for good.
    func keepInstructions() -> [String] {
        guard let cluster else { return [] }
        let url = cluster.url(database: Self.databaseName)
        let asServerUser = geteuid() == 0 ? "runuser -u \(cluster.superuser) -- " : ""
        return [
            "The demo's PostgreSQL keeps running (--keep). Connect with:",
            "  psql \"\(url)\"",
            "  reimburse report --database-url \"\(url)\"",
            "Stop and remove it with:",
            "  \(asServerUser)\(cluster.binDirectory)/pg_ctl -D \(cluster.directory)/data stop -m fast && rm -rf \(cluster.directory)",
        ]
    }
}
