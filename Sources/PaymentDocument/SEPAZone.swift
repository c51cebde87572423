/// Countries and territories of the SEPA schemes (EPC409-09, "EPC List of SEPA Scheme
/// Countries", by the two letters their IBANs start with): the EU and EEA states, Switzerland,
/// the United Kingdom, Monaco, San Marino, Vatican City, Andorra, Gibraltar, Guernsey, Jersey,
/// the Isle of Man, Saint Pierre and Miquelon and the French overseas departments and
/// collectivities that are part of the EU (Åland, Saint Barthélemy, Saint Martin).
/// Countries that joined the schemes only recently (Albania, Moldova, Montenegro, North
/// Macedonia, Serbia) are left out on purpose: a generic transfer reaches them either way,
/// while a SEPA instruction to a bank not yet reachable is rejected.
public enum SEPAZone {
    static let countries: Set<String> = [
        "AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU", "IE", "IT", "LV", "LT", "LU",
        "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE",
        "IS", "LI", "NO", "CH", "GB", "MC", "SM", "VA", "AD", "GI", "GG", "JE", "IM", "PM",
        "GF", "GP", "MQ", "RE", "YT", "BL", "MF", "AX",
    ]

    /// Whether the IBAN's country is in the SEPA zone.
    public static func contains(iban: String) -> Bool {
        countries.contains(String(iban.prefix(2)))
    }
}
