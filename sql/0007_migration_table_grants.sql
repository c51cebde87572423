-- The daemon's unit runs `reimburse migrate` before every start. With nothing to apply, the
-- migrator only reads its bookkeeping table, so the least-privileged daemon login needs to read
-- it and nothing more. Schema changes themselves still need the owner.
GRANT SELECT ON reimburse_schema_migration TO reimburse_service;
