// Temporary: the engine benchmark alone, until main.swift grows into the benchmark command.
print(EngineBenchmark.run(customers: 1_000_000, transactionsPerCustomer: 3, seed: 42))
