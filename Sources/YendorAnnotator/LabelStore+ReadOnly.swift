import Foundation
import GRDB

extension LabelStore {
    /// Writes every row of the store at `path` as JSON lines to `url` without writing anything
    /// beside the store: `annotator export` of a store on read-only media (a snapshot, a dataset
    /// share) or of one an annotator is serving from. Opened read-only; where SQLite cannot do that
    /// (a WAL-mode store on a read-only file system, whose write-ahead log index it would have to
    /// make: trial Y), read from a copy of the store and its write-ahead log in `$TMPDIR`, so no
    /// label the log holds is missed. Returns the rows written and whether a copy was read.
    public static func exportJSONLines(fromStoreAt path: String, to url: URL) throws(AnnotatorError) -> (rows: Int, copied: Bool) {
        var configuration = Configuration()
        configuration.readonly = true
        do {
            let rows = try DatabaseQueue(path: path, configuration: configuration).read(allRows)
            return (try writeJSONLines(rows, to: url), false)
        } catch let error as AnnotatorError {
            throw error
        } catch let error as DatabaseError where error.resultCode == .SQLITE_CANTOPEN || error.resultCode == .SQLITE_READONLY {
            return (try writeJSONLines(try rowsOfACopy(of: path, openFailure: error), to: url), true)
        } catch {
            throw .store("cannot read \(path): \(error)")
        }
    }

    /// The rows of a copy of the store at `path` (with its `-wal`, when there is one) in `$TMPDIR`.
    private static func rowsOfACopy(of path: String, openFailure: DatabaseError) throws(AnnotatorError) -> [StoredLabel] {
        let files = FileManager.default
        let directory = files.temporaryDirectory.appendingPathComponent("yendor-export-\(getpid())-\(UUID().uuidString.prefix(8))")
        defer { try? files.removeItem(at: directory) }
        let copy = directory.appendingPathComponent("labels.sqlite")
        do {
            try files.createDirectory(at: directory, withIntermediateDirectories: true)
            try files.copyItem(atPath: path, toPath: copy.path)
            if files.fileExists(atPath: path + "-wal") { try files.copyItem(atPath: path + "-wal", toPath: copy.path + "-wal") }
            return try DatabaseQueue(path: copy.path).read(allRows)
        } catch {
            throw .store("cannot read \(path) (read-only, \(openFailure.message ?? "\(openFailure)"); from a copy in \(directory.path): \(error))")
        }
    }
}
