extension LocalDate {
    /// Year, month (1...12) and day (1...31), computed on demand because dates are compared
    /// and added far more often than they are printed.
    public var components: (year: Int, month: Int, day: Int) {
        CivilCalendar.civil(fromDays: daysSince1970)
    }

    /// The year, 1...9999.
    public var year: Int { components.year }

    /// The month, 1...12.
    public var month: Int { components.month }

    /// The day of the month, 1...31.
    public var day: Int { components.day }
}
