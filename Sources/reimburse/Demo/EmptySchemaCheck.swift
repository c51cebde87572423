import Postgres

/// `reimburse demo --database-url` writes only where nothing is: before anything is created,
/// the named database must offer an empty schema and hold no Reimburse schema anywhere.
///
/// Empty means, on the demo's connection (its `search_path`, e.g. `options=-csearch_path=demo`):
/// 1. there is a schema to create in: `current_schema()`, the first existing schema of the
///    `search_path`, is not NULL;
/// 2. that schema holds no relation (table, view, sequence, index, ...), no function or
///    procedure and no type of its own (`pg_class`, `pg_proc`, `pg_type`);
/// 3. no schema of the database holds a `reimburse_schema_migration` table: a Reimburse
///    installation shares the database's advisory locks and its `reimbursement_job`
///    notification channel with anything beside it, so the demo's daemon would disturb its
///    queue (and one on the `search_path` would be taken as already migrated).
/// A refusal is one line naming what was found; nothing is written before or by the check.
struct EmptySchemaCheck {
    let connection: PostgresConnection

    func requireEmpty() throws {
        guard let schema = try connection.queryValue(String?.self, "SELECT current_schema()") ?? nil else {
            throw refusal("its search_path names no existing schema to create the demo's tables in")
        }
        let installations = try reimburseInstallations()
        if !installations.isEmpty {
            throw refusal(
                "it already holds a Reimburse schema (reimburse_schema_migration in schema "
                    + installations.map { "\"\($0)\"" }.joined(separator: ", ") + ")")
        }
        let (count, examples) = try objects(in: schema)
        if count > 0 {
            let more = count > examples.count ? ", ..." : ""
            throw refusal(
                "schema \"\(schema)\" is not empty: \(count) object(s) (\(examples.joined(separator: ", "))\(more))")
        }
    }

    private func refusal(_ reason: String) -> CommandFailure {
        CommandFailure.badData(
            "the demo writes only into an empty schema, and the database you named is refused: \(reason); "
                + "name a new database or an empty schema (e.g. ?options=-csearch_path%3Ddemo), "
                + "or leave out --database-url to run on a private server")
    }

    private func reimburseInstallations() throws -> [String] {
        try connection.query(
            """
            SELECT n.nspname FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
             WHERE c.relname = 'reimburse_schema_migration' ORDER BY n.nspname
            """
        ) { try $0.decode(String.self, at: 0) }
    }

    /// How many objects the schema holds, and the first three by name ("table company").
    private func objects(in schema: String) throws -> (Int, [String]) {
        let rows = try connection.query(
            """
            WITH target AS (SELECT oid FROM pg_catalog.pg_namespace WHERE nspname = $1),
            found AS (
                SELECT CASE c.relkind WHEN 'r' THEN 'table' WHEN 'p' THEN 'table' WHEN 'v' THEN 'view'
                                      WHEN 'm' THEN 'materialized view' WHEN 'S' THEN 'sequence'
                                      WHEN 'f' THEN 'foreign table' WHEN 'i' THEN 'index' WHEN 'I' THEN 'index'
                                      ELSE 'relation' END || ' ' || c.relname AS label
                  FROM pg_catalog.pg_class c WHERE c.relnamespace = (SELECT oid FROM target)
                UNION ALL
                SELECT 'function ' || p.proname FROM pg_catalog.pg_proc p
                 WHERE p.pronamespace = (SELECT oid FROM target)
                UNION ALL
                SELECT 'type ' || t.typname FROM pg_catalog.pg_type t
                 WHERE t.typnamespace = (SELECT oid FROM target) AND t.typrelid = 0 AND t.typcategory <> 'A')
            SELECT label, count(*) OVER () FROM found ORDER BY label LIMIT 3
            """, schema
        ) { (try $0.decode(String.self, at: 0), try $0.decode(Int.self, at: 1)) }
        return (rows.first?.1 ?? 0, rows.map(\.0))
    }
}
