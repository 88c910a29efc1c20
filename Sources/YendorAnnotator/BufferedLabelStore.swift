import Dispatch
import Logging
import OrderedCollections
import YendorSupport

/// The annotator's access to its `LabelStore`, with the labels the store refused (a full disk, a
/// store on a mount that went away) kept in memory and written with the next save that works. An
/// LLM's answers are paid for, and a store with holes has every later run ask for them again.
/// Bounded: beyond `capacity` the oldest are lost, and counted (`annotator/labels_lost`).
struct BufferedLabelStore {
    let store: LabelStore
    /// Labels kept in memory at most.
    let capacity: Int
    private let counters: AnnotatorMetrics
    private let logger: Logger
    /// The labels waiting, oldest first, by key (a label answered again replaces its older self).
    private var waiting: OrderedDictionary<LabelKey, StoredLabel> = [:]
    /// Errors are logged at most every 10 s each way (a full disk failed 20–35 saves a second).
    private var log = LogThrottle(interval: 10)

    init(store: LabelStore, capacity: Int, counters: AnnotatorMetrics, logger: Logger) {
        self.store = store
        self.capacity = max(1, capacity)
        self.counters = counters
        self.logger = logger
    }

    /// Saves what waits and then `new`, in one transaction. On failure everything waits, the oldest
    /// beyond `capacity` dropped. Returns whether nothing waits any more.
    mutating func save(_ new: [StoredLabel]) -> Bool {
        guard !new.isEmpty || !waiting.isEmpty else { return true }
        let waited = waiting.count
        do {
            try store.save(waiting.isEmpty ? new : Array(waiting.values) + new)
            waiting.removeAll()
            counters.unstored.record(0)
            if waited > 0 {
                let quiet = log.flush("save")
                logger.notice("the label store takes labels again: the \(waited) that waited in memory are stored\(quiet > 0 ? " (\(quiet) failed saves not logged)" : "")")
            }
            return true
        } catch {
            for label in new {
                waiting.removeValue(forKey: label.key)  // a newer answer goes to the back
                waiting[label.key] = label
            }
            let lost = max(0, waiting.count - capacity)
            waiting.removeFirst(lost)
            counters.lost.increment(by: lost)
            counters.unstored.record(waiting.count)
            counters.storeErrors.increment()
            if let quiet = log.shouldLog("save", now: Self.now) {
                logger.error("cannot store labels: \(error). \(waiting.count) labels wait in memory (at most \(capacity)) and are stored when the store takes them again; they are published meanwhile\(lost > 0 ? "; the \(lost) oldest were lost" : "")\(quiet > 0 ? " (\(quiet) failed saves not logged)" : "")")
            }
            return false
        }
    }

    /// The labels known for `keys`: stored, or waiting for the store (answered, so not to be asked
    /// again and paid for twice). A store that cannot be read answers from memory alone.
    mutating func lookup(_ keys: [LabelKey]) -> [LabelKey: StoredLabel] {
        var found: [LabelKey: StoredLabel]
        do { found = try store.lookup(keys) } catch {
            counters.storeErrors.increment()
            if let quiet = log.shouldLog("read", now: Self.now) {
                logger.error("cannot read the label store: \(error)\(quiet > 0 ? " (\(quiet) failed reads not logged)" : "")")
            }
            found = [:]
        }
        if !waiting.isEmpty {
            for key in keys where found[key] == nil { found[key] = waiting[key] }
        }
        return found
    }

    /// At shutdown: one more attempt, then what the store still refuses is lost, and said.
    mutating func close() {
        guard !waiting.isEmpty, !save([]) else { return }
        let lost = waiting.count
        waiting.removeAll()
        counters.lost.increment(by: lost)
        counters.unstored.record(0)
        logger.error("\(lost) labels are lost: the label store still refused them at shutdown (see the errors above); runs will ask for them again")
    }

    private static var now: Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }
}
