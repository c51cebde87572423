import Foundation
import ReimburseTestSupport

/// The built `reimburse` executable. SwiftPM puts it beside the test bundle; it is looked up
/// there first (whatever `--scratch-path` was used), then in the default build folder.
enum ReimburseBinary {
    static let path: String? = {
        let fileManager = FileManager.default
        if let configured = ProcessInfo.processInfo.environment["REIMBURSE_BINARY"], !configured.isEmpty {
            return configured
        }
        var candidates: [URL] = []
        for start in [CommandLine.arguments.first, Bundle.main.executablePath].compactMap({ $0 }) {
            var folder = URL(fileURLWithPath: start).resolvingSymlinksInPath().deletingLastPathComponent()
            // The bundle may be a folder (`.xctest` on macOS): walk up a few levels.
            for _ in 0..<4 {
                candidates.append(folder.appendingPathComponent("reimburse"))
                folder = folder.deletingLastPathComponent()
            }
        }
        candidates.append(URL(fileURLWithPath: TestServer.repositoryRoot).appendingPathComponent(".build/debug/reimburse"))
        return candidates.first { candidate in
            var isFolder: ObjCBool = false
            return fileManager.fileExists(atPath: candidate.path, isDirectory: &isFolder) && !isFolder.boolValue
                && fileManager.isExecutableFile(atPath: candidate.path)
        }?.path
    }()

    static func require() throws -> String {
        guard let path else {
            throw TestSupportError(
                "the reimburse executable was not found beside the tests; build it first "
                    + "(swift build --build-tests) or set REIMBURSE_BINARY")
        }
        return path
    }
}
