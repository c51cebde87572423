import Postgres

/// The fallback that keeps one unit's bad data (a reimbursement to reverse, an invoice to pay)
/// from stopping the others (PRODUCT.md §1, Precisions: `invalid_data`).
///
/// The chunk's plans are posted in one savepoint, the fast path. When the database refuses
/// them for a reason of the rows (``PostgresError/isCustomerData``), the savepoint is rolled
/// back and the plans are posted one by one, each in a savepoint of its own; a plan still
/// refused is replaced by `refused(unit, error)` (a skip naming the database's words), which is
/// posted outside the savepoint. Any other error rolls back the savepoint and is thrown.
enum UnitByUnitPosting {
    /// - Parameters:
    ///   - units: the loaded units, one per plan, in the same order.
    ///   - savepoints: the savepoint names of the whole chunk and of one unit.
    ///   - post: writes plans inside the caller's transaction.
    /// - Returns: the plans as posted, in order (the refused ones replaced).
    static func post<Unit, Plan>(
        _ units: [Unit], plans: [Plan], savepoints: (chunk: String, one: String),
        on connection: PostgresConnection,
        post: ([Plan]) throws -> Void, refused: (Unit, PostgresError) -> Plan
    ) throws -> [Plan] {
        do {
            try connection.savepoint(savepoints.chunk) { _ in try post(plans) }
            return plans
        } catch let error as PostgresError where error.isCustomerData {
            // Fall through: find the unit(s) whose rows the database refuses.
        }
        var posted: [Plan] = []
        posted.reserveCapacity(plans.count)
        for (unit, plan) in zip(units, plans) {
            do {
                try connection.savepoint(savepoints.one) { _ in try post([plan]) }
                posted.append(plan)
            } catch let error as PostgresError where error.isCustomerData {
                let replacement = refused(unit, error)
                try post([replacement])
                posted.append(replacement)
            }
        }
        return posted
    }
}
