// Placeholder: replaced by the reliability suite.
