import ReimburseMetrics

/// The version `reimburse --version` prints: the one `reimburse_build_info` reports
/// (``BuildInfo/version``), so the two never disagree.
enum ReimburseVersion {
    static let text = BuildInfo.version
}
