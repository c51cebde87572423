import Postgres

/// Why a runnable job may still be queued, said once by `enqueue --wait` after a few seconds:
/// no daemon connected at all (the usual case: `reimburse serve` is not running, or points at
/// another database), or daemons that are busy.
enum ClaimHint {
    static func text(job: Int64, waited: Duration, on connection: PostgresConnection) throws -> String {
        let seconds = Int(waited.components.seconds)
        // Every login sees other sessions' application_name in pg_stat_activity.
        let listeners = try connection.queryValue(
            Int.self,
            """
            SELECT count(*)::int FROM pg_catalog.pg_stat_activity
             WHERE datname = pg_catalog.current_database() AND application_name LIKE 'reimburse-listener%'
            """) ?? 0
        if listeners == 0 {
            return "job \(job) has not been claimed after \(seconds)s and no daemon is connected to this database: "
                + "start 'reimburse serve' (systemctl start reimburse); the job waits in the queue meanwhile"
        }
        return "job \(job) has not been claimed after \(seconds)s; \(listeners) daemon(s) are connected but busy "
            + "(one job per company at a time, --workers jobs per daemon): see 'reimburse status'"
    }
}
