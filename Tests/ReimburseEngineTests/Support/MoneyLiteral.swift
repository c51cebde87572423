import ReimburseEngine

/// An amount from a literal the test author wrote; a typo should stop the test loudly.
func money(_ text: String) -> Money {
    guard let amount = Money(exactly: text) else { fatalError("bad money literal in test: \(text)") }
    return amount
}
