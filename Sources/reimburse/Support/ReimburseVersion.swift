/// The version `reimburse --version` prints.
///
/// The minor number is the highest migration this binary ships (`sql/0017_...` is 0.17), so
/// an operator can tell from the version which schema a binary expects; the patch number
/// counts releases without a new migration. Raised by hand with each release.
enum ReimburseVersion {
    static let text = "0.17.0"
}
