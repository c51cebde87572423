/// What `reimburse_build_info` says about the running binary.
public enum BuildInfo {
    /// The release of Reimburse this binary was built from, as `reimburse --version` prints it.
    /// The minor number is the highest migration the binary ships (`sql/0022_...` is 0.22), so
    /// an operator can tell which schema a binary expects; the patch number counts releases
    /// without a new migration. Raised by hand with each release.
    public static let version = "0.22.0"

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
