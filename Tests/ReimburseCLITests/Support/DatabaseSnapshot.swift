import Postgres
import ReimburseTestSupport

/// Everything a demo could have changed in a database holding a real Reimburse schema, as
/// one comparable text: its companies, its jobs with state and attempts, row counts, applied
/// migrations and the relations of each schema.
enum DatabaseSnapshot {
    static func take(on connection: PostgresConnection) throws -> String {
        try connection.queryValue(
            String.self,
            """
            SELECT json_build_object(
                'companies', (SELECT json_agg(id ORDER BY id) FROM company),
                'jobs', (SELECT json_agg(json_build_array(id, company_id, state, attempts, lease_owner) ORDER BY id)
                           FROM reimbursement_job),
                'customers', (SELECT count(*) FROM customer),
                'vendors', (SELECT count(*) FROM vendor),
                'transactions', (SELECT count(*) FROM customer_transaction),
                'migrations', (SELECT count(*) FROM reimburse_schema_migration),
                'relations', (SELECT json_agg(n.nspname || '.' || c.relname ORDER BY n.nspname, c.relname)
                                FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                               WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')))::text
            """) ?? ""
    }

    /// A company and a queued job: what the demo must never claim or mix into.
    @discardableResult
    static func insertQueuedJob(on connection: PostgresConnection) throws -> Int64 {
        try Fixtures.company("ACME", on: connection)
        return try connection.queryValue(
            Int64.self, "INSERT INTO reimbursement_job (company_id) VALUES ('ACME') RETURNING id")!
    }
}

extension TestDatabase {
    /// This database's conninfo with `search_path` set to `schema`, in the form it is written.
    func conninfoWithSearchPath(_ schema: String) -> String {
        if conninfo.contains("://") {
            let separator = conninfo.contains("?") ? "&" : "?"
            return conninfo + separator + "options=-csearch_path%3D" + schema
        }
        return conninfo + " options='-csearch_path=\(schema)'"
    }
}
