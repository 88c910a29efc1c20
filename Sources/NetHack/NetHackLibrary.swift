import Foundation
import YendorSupport

/// Where NLE's pinned library and game data live: the `nle` package directory of the project's
/// virtualenv (`make deps` installs `nle==1.3.0` into `.venv`).
///
/// Yendor hosts NetHack itself and never runs Python in the step loop; it only borrows the wheel's
/// `libnethack.so` (loaded once per game, see `NetHackGame`) and its `nethackdir/nhdat`.
public struct NetHackLibrary: Sendable, Equatable {
    /// The NLE version whose C ABI `CNetHack` declares.
    public static let pinnedVersion = "1.3.0"
    /// Environment variable naming the `nle` package directory, overriding the search.
    public static let environmentVariable = "YENDOR_NLE_DIR"

    /// The `nle` package directory (holding `libnethack.so`, `nethackdir/`, `version.py`).
    public let directory: URL
    public var libraryPath: String { directory.appendingPathComponent("libnethack.so").path }
    public var dataPath: String { directory.appendingPathComponent("nethackdir/nhdat").path }

    /// Checks `directory` holds the pinned version's library and data; the error names the path.
    public init(directory: URL) throws {
        self.directory = directory
        let fm = FileManager.default
        guard fm.fileExists(atPath: libraryPath) else { throw NetHackError.libraryMissing(path: libraryPath) }
        guard fm.fileExists(atPath: dataPath) else { throw NetHackError.libraryMissing(path: dataPath) }
        let versionFile = directory.appendingPathComponent("version.py").path
        guard let text = try? String(contentsOfFile: versionFile, encoding: .utf8) else {
            throw NetHackError.libraryMissing(path: versionFile)
        }
        let found = text.split(separator: "\"").dropFirst().first.map(String.init) ?? text
        guard found == Self.pinnedVersion else {
            throw NetHackError.versionMismatch(path: versionFile, found: found, expected: Self.pinnedVersion)
        }
    }

    /// Finds the library: `explicit` if given, else `$YENDOR_NLE_DIR`, else `.venv` in the working
    /// directory or in any directory above the running executable (the repository, for
    /// `.build/…/yendor`). Throws naming every place it looked.
    public static func locate(explicit: String? = nil) throws -> NetHackLibrary {
        if let explicit, !explicit.isEmpty { return try NetHackLibrary(directory: URL(fileURLWithPath: explicit)) }
        if let fromEnvironment = ProcessInfo.processInfo.environment[environmentVariable], !fromEnvironment.isEmpty {
            // It wins over .venv, so `make deps` would not help: the error names the variable (trial N).
            do { return try NetHackLibrary(directory: URL(fileURLWithPath: fromEnvironment)) } catch let error as NetHackError {
                let problem = if case .libraryMissing(let path) = error { "\(path) does not exist" } else { "\(error)" }
                throw NetHackError.invalidConfiguration("\(environmentVariable)=\(fromEnvironment) in this process's environment names no NLE \(pinnedVersion) (\(problem)): point it at the `nle` package directory (…/site-packages/nle) or unset it to use .venv's")
            }
        }
        var looked: [String] = []
        for root in RepositoryFile.roots {
            let lib = root.appendingPathComponent(".venv/lib")
            looked.append(lib.path)
            guard let pythons = try? FileManager.default.contentsOfDirectory(atPath: lib.path) else { continue }
            for python in pythons.sorted() where python.hasPrefix("python3") {
                let candidate = lib.appendingPathComponent("\(python)/site-packages/nle")
                if FileManager.default.fileExists(atPath: candidate.appendingPathComponent("libnethack.so").path) {
                    return try NetHackLibrary(directory: candidate)
                }
            }
        }
        throw NetHackError.libraryNotFound(searched: looked)
    }
}

/// Why NetHack could not be hosted.
public enum NetHackError: Error, CustomStringConvertible, Equatable {
    case libraryMissing(path: String)
    case libraryNotFound(searched: [String])
    case versionMismatch(path: String, found: String, expected: String)
    case loadFailed(String)
    /// Too little free space where the games write their level files (NetHack would abort).
    case spaceShort(String)
    case gameOverAtStart
    case unknownTask(String, known: [String])
    case invalidConfiguration(String)

    public var description: String {
        switch self {
        case .libraryMissing(let path):
            return "NetHack library file missing: \(path) (run `make deps` to install nle \(NetHackLibrary.pinnedVersion) into .venv)"
        case .libraryNotFound(let searched):
            return "NLE \(NetHackLibrary.pinnedVersion) not found: set \(NetHackLibrary.environmentVariable) or env.nle_dir to the `nle` package directory, or YENDOR_HOME to the Yendor checkout whose `make deps` made .venv (a yendor binary copied elsewhere), or run `make deps`; looked in \(searched.joined(separator: ", "))"
        case .versionMismatch(let path, let found, let expected):
            return "NLE at \(path) is version \(found), Yendor hosts \(expected) only (run `make deps`)"
        case .loadFailed(let message): return "could not load NetHack: \(message)"
        case .spaceShort(let message): return "NetHack cannot go on: \(message)"
        case .gameOverAtStart: return "NetHack ended right after starting"
        case .unknownTask(let name, let known): return "unknown NLE task '\(name)'; known: \(known.joined(separator: ", "))"
        case .invalidConfiguration(let message): return message
        }
    }
}
