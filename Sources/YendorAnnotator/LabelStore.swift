import Foundation
import GRDB
import YendorSupport

/// Persistent labels in SQLite (through GRDB), shared across runs.
///
/// Keyed by backend, model, prompt version, goal and caption (or ordered caption pair), so a
/// restarted annotator looks here first and never asks the LLM twice for the same thing.
/// The database runs in WAL mode (GRDB's `DatabasePool`): readers never block the writer,
/// and a write that returned is durable even if the process is killed right after, or the
/// machine loses power (`synchronous = FULL`: labels are paid for; the sync costs one per labeler
/// batch). Processes may share it: a writer waits (up to 30 s) for another's write to end.
public final class LabelStore: Sendable {
    private let pool: DatabasePool
    /// The database file.
    public let path: String

    /// Opens (or creates) the store at `path`.
    public init(path: String) throws(AnnotatorError) {
        self.path = path
        do {
            // Several annotators may share one store (runs side by side, each with its own role):
            // a write that finds another process's under way waits for it instead of failing
            // with SQLITE_BUSY (which lost the labels of that batch: published, never stored).
            var configuration = Configuration()
            configuration.busyMode = .timeout(30)
            pool = try DatabasePool(path: path, configuration: configuration)
            var migrator = DatabaseMigrator()
            migrator.registerMigration("v1-labels") { db in
                // `first` holds the caption for classification; `second` is '' then.
                try db.execute(sql: """
                    CREATE TABLE label (
                        backend TEXT NOT NULL,
                        model TEXT NOT NULL,
                        prompt_version TEXT NOT NULL,
                        goal TEXT NOT NULL,
                        task TEXT NOT NULL CHECK (task IN ('classify', 'rank')),
                        first TEXT NOT NULL,
                        second TEXT NOT NULL,
                        label TEXT,
                        error TEXT,
                        raw_response TEXT NOT NULL,
                        attempts INTEGER NOT NULL,
                        latency_seconds REAL NOT NULL,
                        created_at REAL NOT NULL,
                        updated_at REAL NOT NULL,
                        PRIMARY KEY (backend, model, prompt_version, goal, task, first, second)
                    )
                    """)
            }
            try migrator.migrate(pool)
            // GRDB sets NORMAL with WAL, which may lose the last transactions to a power cut.
            try pool.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA synchronous = FULL") }
        } catch {
            throw .store("cannot open \(path): \(error)")
        }
    }

    /// SQLite's journal mode; `wal` for this store.
    public func journalMode() throws(AnnotatorError) -> String {
        try run { try pool.read { db in try String.fetchOne(db, sql: "PRAGMA journal_mode") ?? "" } }
    }

    /// SQLite's `synchronous` setting of the connection that writes (2: FULL, for this store).
    public func synchronousMode() throws(AnnotatorError) -> Int {
        try run { try pool.writeWithoutTransaction { db in try Int.fetchOne(db, sql: "PRAGMA synchronous") ?? -1 } }
    }

    /// Caps the database at `pages` pages (SQLite's `max_page_count` on the writing connection): a
    /// save that needs more fails with `SQLITE_FULL`, "database or disk is full", as on a full disk.
    /// For tests of a store that fills up; `nil` lifts the cap.
    func limitSize(toPages pages: Int?) throws(AnnotatorError) {
        try run { try pool.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA max_page_count = \(pages ?? 4_294_967_294)") } }
    }

    /// Pages the database file has now (SQLite's `page_count`).
    func pageCount() throws(AnnotatorError) -> Int {
        try run { try pool.writeWithoutTransaction { db in try Int.fetchOne(db, sql: "PRAGMA page_count") ?? 0 } }
    }

    /// Rows in the store.
    public func count() throws(AnnotatorError) -> Int {
        try run { try pool.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM label") ?? 0 } }
    }

    /// The stored rows for those of `keys` that have one.
    public func lookup(_ keys: [LabelKey]) throws(AnnotatorError) -> [LabelKey: StoredLabel] {
        try run {
            try pool.read { db in
                var found: [LabelKey: StoredLabel] = [:]
                let statement = try db.cachedStatement(sql: """
                    SELECT * FROM label WHERE backend = ? AND model = ? AND prompt_version = ?
                    AND goal = ? AND task = ? AND first = ? AND second = ?
                    """)
                for key in keys {
                    if let row = try Row.fetchOne(statement, arguments: Self.keyArguments(key)) {
                        found[key] = try Self.stored(from: row)
                    }
                }
                return found
            }
        }
    }

    /// Writes `labels` in one transaction, replacing rows with the same key (keeping their
    /// `createdAt`). When this returns, the labels are on disk.
    public func save(_ labels: [StoredLabel]) throws(AnnotatorError) {
        guard !labels.isEmpty else { return }
        try run {
            try pool.write { db in
                for stored in labels { try Self.insert(stored, into: db, replacing: true) }
            }
        }
    }

    /// Writes every row as one JSON object per line; returns the number of lines.
    @discardableResult
    public func exportJSONLines(to url: URL) throws(AnnotatorError) -> Int {
        try Self.writeJSONLines(try run { try pool.read(Self.allRows) }, to: url)
    }

    /// Every row, oldest first.
    static func allRows(_ db: Database) throws -> [StoredLabel] {
        try Row.fetchAll(db, sql: "SELECT * FROM label ORDER BY created_at, backend, model, prompt_version, goal, task, first, second")
            .map(Self.stored(from:))
    }

    /// Writes `rows` as one JSON object per line (atomically); returns the number of lines.
    static func writeJSONLines(_ rows: [StoredLabel], to url: URL) throws(AnnotatorError) -> Int {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        var data = Data()
        for row in rows {
            do { data.append(try encoder.encode(StoredLabelLine(row))) } catch {
                throw .store("cannot encode a row as JSON: \(error)")
            }
            data.append(0x0A)
        }
        do { try data.write(to: url, options: .atomic) } catch {
            throw .store("cannot write \(url.path): \(error.localizedDescription)")
        }
        return rows.count
    }

    /// Reads JSON lines written by `exportJSONLines` and adds rows whose key is not stored yet
    /// (existing rows win: an import never overwrites this store's own answers). The whole
    /// file is checked before anything is written; a bad line is reported by its number.
    /// Returns the number of rows added.
    @discardableResult
    public func importJSONLines(from url: URL) throws(AnnotatorError) -> Int {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw .invalidInput("cannot read \(url.path): \(error.localizedDescription)")
        }
        var labels: [StoredLabel] = []
        let decoder = JSONDecoder()
        for (index, line) in data.split(separator: 0x0A, omittingEmptySubsequences: false).enumerated() {
            if line.allSatisfy({ $0 == 0x20 || $0 == 0x0D || $0 == 0x09 }) { continue }
            do {
                labels.append(try decoder.decode(StoredLabelLine.self, from: Data(line)).stored())
            } catch let error as AnnotatorError {
                throw .invalidInput("\(url.lastPathComponent) line \(index + 1): \(error)")
            } catch let error as DecodingError {
                throw .invalidInput("\(url.lastPathComponent) line \(index + 1): not a label object: \(error.summary)")
            } catch {
                throw .invalidInput("\(url.lastPathComponent) line \(index + 1): not a label object: \(error)")
            }
        }
        return try run {
            try pool.write { db in
                var added = 0
                for stored in labels {
                    try Self.insert(stored, into: db, replacing: false)
                    added += db.changesCount
                }
                return added
            }
        }
    }

    // MARK: - Rows

    private static func keyArguments(_ key: LabelKey) -> StatementArguments {
        let (task, first, second): (String, String, String)
        switch key.request.task {
        case .classify(let caption): (task, first, second) = ("classify", caption, "")
        case .rank(let a, let b): (task, first, second) = ("rank", a, b)
        }
        return [key.labeler.backend, key.labeler.model, key.labeler.promptVersion, key.request.goal.key, task, first, second]
    }

    private static func insert(_ stored: StoredLabel, into db: Database, replacing: Bool) throws {
        var label: String?, error: String?
        switch stored.outcome {
        case .labeled(let value): label = value.rawValue
        case .failed(let kind): error = kind.rawValue
        }
        let conflict = replacing
            ? """
              ON CONFLICT DO UPDATE SET label = excluded.label, error = excluded.error,
              raw_response = excluded.raw_response, attempts = excluded.attempts,
              latency_seconds = excluded.latency_seconds, updated_at = excluded.updated_at
              """
            : "ON CONFLICT DO NOTHING"
        var arguments = keyArguments(stored.key)
        arguments += [label, error, stored.rawResponse, stored.attempts, stored.latency.seconds,
                      stored.createdAt.timeIntervalSince1970, stored.updatedAt.timeIntervalSince1970]
        try db.execute(sql: """
            INSERT INTO label (backend, model, prompt_version, goal, task, first, second,
                               label, error, raw_response, attempts, latency_seconds, created_at, updated_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) \(conflict)
            """, arguments: arguments)
    }

    private static func stored(from row: Row) throws -> StoredLabel {
        let task: LabelTask = (row["task"] as String) == "rank"
            ? .rank(first: row["first"], second: row["second"])
            : .classify(caption: row["first"])
        let outcome: LabelOutcome
        if let text: String = row["label"], let value = Label(rawValue: text) {
            outcome = .labeled(value)
        } else {
            outcome = .failed(LabelErrorKind(rawValue: row["error"] ?? "") ?? .unlabelable)
        }
        let identity = LabelerIdentity(backend: row["backend"], model: row["model"], promptVersion: row["prompt_version"])
        return StoredLabel(
            key: LabelKey(labeler: identity, request: LabelRequest(goal: try Goal.parsed(key: row["goal"]), task: task)),
            outcome: outcome, rawResponse: row["raw_response"], attempts: row["attempts"],
            latency: .microseconds(clampingSeconds: row["latency_seconds"] as Double),
            createdAt: Date(timeIntervalSince1970: row["created_at"]),
            updatedAt: Date(timeIntervalSince1970: row["updated_at"]))
    }

    private func run<T>(_ body: () throws -> T) throws(AnnotatorError) -> T {
        do { return try body() } catch let error as AnnotatorError { throw error } catch {
            throw .store("\(error)")
        }
    }
}
