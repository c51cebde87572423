/// Sample amounts are whole cents in integers and become decimal text only when written, so
/// no binary floating point touches money even in made-up data.
enum Cents {
    static func text(_ cents: Int) -> String {
        let sign = cents < 0 ? "-" : ""
        let magnitude = cents.magnitude
        let fraction = magnitude % 100
        return "\(sign)\(magnitude / 100).\(fraction < 10 ? "0" : "")\(fraction)"
    }

    /// Converts at a rate given as a fraction (108/100 for 1.08), truncating toward zero but
    /// never to zero, because the database refuses an accounting amount of 0 for a non-zero
    /// amount.
    static func convert(_ cents: Int, numerator: Int, denominator: Int) -> Int {
        let converted = cents * numerator / denominator
        if converted == 0 { return cents < 0 ? -1 : 1 }
        return converted
    }
}
