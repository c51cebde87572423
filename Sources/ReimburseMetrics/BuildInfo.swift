/// What `reimburse_build_info` says about the running binary.
public enum BuildInfo {
    /// The release of Reimburse this binary was built from; raised with each release.
    public static let version = "0.1.0"

    /// The Swift compiler that built it, major.minor.
    public static let swift: String = {
        #if compiler(>=7.0)
        return "7+"
        #elseif compiler(>=6.4)
        return "6.4"
        #elseif compiler(>=6.3)
        return "6.3"
        #elseif compiler(>=6.2)
        return "6.2"
        #elseif compiler(>=6.1)
        return "6.1"
        #else
        return "6.0"
        #endif
    }()
}
