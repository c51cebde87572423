/// SplitMix64 (Steele, Lea, Flood): a tiny seeded generator, so that generated ledgers (the
/// property tests, the demo's sample, the benchmarks' data) are the same on every run and
/// machine and reproducible from a printed seed; the system generator cannot be seeded.
/// Nothing in the rules uses it.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64

    public init(seed: UInt64) {
        state = seed
    }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A number in 0..<bound; the modulo bias is irrelevant for generated sample data.
    public mutating func below(_ bound: Int) -> Int { Int(next() % UInt64(bound)) }
}
