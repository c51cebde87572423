/// Text reduced to the SEPA Latin character set, the only characters every SEPA bank must
/// accept (EPC guidance EPC217-08, "SEPA Requirements for an Extended Character Set", section
/// 1.4): `a-z A-Z 0-9 / - ? : ( ) . , ' +` and the space.
///
/// Reduction, character by character (grapheme clusters, so a letter with combining marks is
/// one character):
/// - allowed characters stay;
/// - Latin letters with diacritics lose them (`é` → `e`, `ü` → `u`, `Å` → `A`), following the
///   EPC's own conversion of the Latin-1 and Latin Extended letters; letters without a
///   decomposition are spelled out (`ß` → `ss`, `Æ` → `AE`, `Ø` → `O`, `Ł` → `L`);
/// - punctuation with a close equivalent is converted (typographic and double quotes → `'`,
///   dashes and `_` → `-`, `&` → `+`, `<` `[` `{` → `(`, `>` `]` `}` → `)`, `;` → `,`, `!` → `.`);
///   white space of any kind becomes one space;
/// - symbols and emoji are dropped; anything else (letters of other scripts) becomes `.`, so
///   a person still sees that something was there.
/// Then runs of spaces become one and the text is trimmed.
public enum SEPAText {
    /// Whether `scalar` is in the SEPA Latin set.
    public static func isAllowed(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar {
        case "a"..."z", "A"..."Z", "0"..."9", "/", "-", "?", ":", "(", ")", ".", ",", "'", "+", " ": true
        default: false
        }
    }

    /// Whether every character of `text` is in the SEPA Latin set.
    public static func isInSet(_ text: String) -> Bool {
        text.unicodeScalars.allSatisfy(isAllowed)
    }

    /// `text` reduced to the SEPA Latin set (see the type's rules).
    public static func reduce(_ text: String) -> String {
        var reduced = ""
        for character in text {
            reduced += convert(character)
        }
        return collapseSpaces(reduced)
    }

    /// `text` reduced and then cut to at most `limit` characters (trailing space removed).
    public static func reduce(_ text: String, limit: Int) -> String {
        let reduced = reduce(text)
        guard reduced.count > limit else { return reduced }
        return collapseSpaces(String(reduced.prefix(limit)))
    }

    /// An identifier (message, payment information or end-to-end id): reduced to the SEPA
    /// set without spaces (a space becomes `-`), at most 35 characters, no leading or
    /// trailing `/` and no `//` (EPC SEPA Credit Transfer Implementation Guidelines, rules on
    /// the identification fields). Empty when nothing is left.
    public static func identifier(_ text: String) -> String {
        var id = String(reduce(text).map { $0 == " " ? "-" : $0 })
        while id.contains("//") { id = id.replacingAll("//", with: "/") }
        id = trimmingSlashes(id)
        if id.count > 35 { id = trimmingSlashes(String(id.prefix(35))) }
        return id
    }

    private static func convert(_ character: Character) -> String {
        let scalars = character.unicodeScalars
        guard let first = scalars.first else { return "" }
        if character.isWhitespace || character.isNewline { return " " }
        if scalars.count == 1, isAllowed(first) { return String(first) }
        // A base character followed only by combining marks: judge the base alone.
        let rest = scalars.dropFirst()
        if !rest.isEmpty, !rest.allSatisfy({ $0.properties.generalCategory == .nonspacingMark
            || $0.properties.generalCategory == .enclosingMark || $0.properties.generalCategory == .spacingMark
            || $0.value == 0xFE0F || $0.value == 0xFE0E || $0.value == 0x200D }) {
            return isSymbol(first) ? "" : "."
        }
        if isAllowed(first) { return String(first) }
        if let mapped = SEPATransliteration.table[first.value] { return mapped }
        if first.properties.isWhitespace { return " " }
        if isSymbol(first) { return "" }
        switch first.properties.generalCategory {
        case .control, .format, .surrogate, .privateUse, .unassigned: return ""
        default: return "."
        }
    }

    private static func isSymbol(_ scalar: Unicode.Scalar) -> Bool {
        if scalar.properties.isEmojiPresentation || scalar.properties.isEmoji && scalar.value > 0xFF { return true }
        switch scalar.properties.generalCategory {
        case .otherSymbol, .mathSymbol, .currencySymbol, .modifierSymbol: return true
        default: return false
        }
    }

    private static func collapseSpaces(_ text: String) -> String {
        var result = ""
        var lastWasSpace = true
        for character in text {
            if character == " " {
                if !lastWasSpace { result.append(" ") }
                lastWasSpace = true
            } else {
                result.append(character)
                lastWasSpace = false
            }
        }
        while result.last == " " { result.removeLast() }
        return result
    }

    private static func trimmingSlashes(_ text: String) -> String {
        var id = Substring(text)
        while id.first == "/" { id = id.dropFirst() }
        while id.last == "/" { id = id.dropLast() }
        return String(id)
    }
}

extension String {
    /// Every occurrence of `target` replaced (no Foundation in this target).
    func replacingAll(_ target: String, with replacement: String) -> String {
        var result = ""
        var rest = Substring(self)
        while let range = rest.firstRange(of: target) {
            result += rest[rest.startIndex..<range.lowerBound]
            result += replacement
            rest = rest[range.upperBound...]
        }
        return result + rest
    }
}
