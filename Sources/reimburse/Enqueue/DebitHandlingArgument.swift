import ArgumentParser

/// The job's `debit_handling`, spelled as the database spells it.
enum DebitHandlingArgument: String, CaseIterable, ExpressibleByArgument, Sendable {
    case skip
    case include
    case net
}
