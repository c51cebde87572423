import ReimburseEngine
import Testing

/// Ten thousand random ledgers with debits and credits in two currencies per run, planned with
/// `debit_handling = 'net'` for post, preview and approval (PRODUCT.md §7): money is
/// conserved, every voucher balances in both columns, nothing is settled beyond its open
/// amount, the netted amount is min(credits, debits) per currency (per ledger account with
/// `summarize = false`), the remainder is what is reimbursed, and netting goes oldest first.
@Suite("Netting properties over random ledgers")
struct NettingPropertyTests {
    static let ledgersPerRun = 10_000

    @Test(arguments: [UInt64(20_261_125), 7])
    func nettingPropertiesHold(seed: UInt64) throws {
        var world = NettingLedgers(seed: seed)
        var problems: [String] = []
        var reimbursedWithNetting = 0
        var exchangeLines = 0
        var transferLines = 0
        var debitsCover = 0
        var approvedChanged = 0
        for number in 0..<NettingPropertyTests.ledgersPerRun {
            let company = world.company()
            let options = world.options(mode: .post)
            var previewOptions = options
            previewOptions.mode = .preview
            var approveOptions = options
            approveOptions.mode = .approve
            let customer = world.customer(number)

            let post = try ReimbursementPlanner(company: company, options: options).plan(customer)
            problems += NettingOracle(company: company, options: options).problems(post, for: customer)
            let preview = try ReimbursementPlanner(company: company, options: previewOptions).plan(customer)
            if preview != post { problems.append("\(customer.account): preview differs from post") }
            let approver = ReimbursementPlanner(company: company, options: approveOptions)
            if try approver.plan(customer, proposals: preview.proposals) != post {
                problems.append("\(customer.account): approving an unchanged preview differs from post")
            }
            let changed = world.changed(customer)
            let afterChange = try approver.plan(changed, proposals: preview.proposals)
            problems += NettingOracle(company: company, options: approveOptions).voucherProblems(afterChange, for: changed)
            let proposed = preview.proposals.map { proposal in
                var described = proposal
                described.vendorAccount = nil
                return described
            }
            for posted in afterChange.proposals {
                var described = posted
                described.vendorAccount = nil
                if !proposed.contains(described) { problems.append("\(customer.account): approval posted something not proposed") }
            }
            if afterChange.skips.contains(where: { $0.reason == .changedSincePreview }) { approvedChanged += 1 }

            for reimbursement in post.reimbursements where !(reimbursement.netting?.pieces.isEmpty ?? true) {
                reimbursedWithNetting += 1
                exchangeLines += reimbursement.voucherLines.filter { $0.postingType == .exchangeDifference }.count
                transferLines += reimbursement.voucherLines.filter { $0.postingType == .customerNetting }.count
            }
            if post.skips.contains(where: { $0.reason == .belowMinimum && $0.creditBalance == .zero }) { debitsCover += 1 }
        }
        #expect(problems.count == 0, "\(problems.count) problems, first: \(problems.prefix(20).joined(separator: "\n"))")
        // The generator must reach the interesting cases, or the properties prove little.
        #expect(reimbursedWithNetting > 1000)
        #expect(exchangeLines > 500)
        #expect(transferLines > 500)
        #expect(debitsCover > 500)
        #expect(approvedChanged > 500)
    }
}
