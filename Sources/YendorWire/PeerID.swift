/// The rule for peer ids (`Hello.id`, `TrajectoryBatch.worker_id`, `Goodbye.id`) and a safe way to
/// show any peer-supplied text in a log.
///
/// An id is 1–128 characters from `A–Z a–z 0–9 . _ - : @`. The learner's PUB socket addresses a
/// `Goodbye` by id, and `*` there means every worker, so an id outside this set is refused without
/// an answer; and ids end up in log lines, where a newline or an escape sequence from a peer would
/// forge or garble lines.
public enum PeerID {
    /// The longest id accepted.
    public static let maxLength = 128

    /// Whether `id` follows the rule.
    public static func isValid(_ id: String) -> Bool {
        let bytes = id.utf8
        guard !bytes.isEmpty, bytes.count <= maxLength else { return false }
        return bytes.allSatisfy { b in
            (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A)
                || b == 0x2E || b == 0x5F || b == 0x2D || b == 0x3A || b == 0x40
        }
    }

    /// A worker's id when none is given: `worker-HOST-PID-TAG`, the host name cut to fit and with
    /// characters an id may not hold replaced by `-`, and TAG six random hex digits. Host and PID
    /// alone repeat where a process starts with the same PID every time (PID 1 in a container): a
    /// restarted container then claimed the id of its dead predecessor, which a learner holds for
    /// a peer timeout, and was refused.
    public static func defaultWorkerID(host: String, pid: Int32) -> String {
        let tag = String(UInt32.random(in: 0..<(1 << 24)), radix: 16)
        let tail = "-\(pid)-\(String(repeating: "0", count: 6 - tag.count))\(tag)"
        let room = maxLength - "worker-".count - tail.count
        let safeHost = String(host.map { isValid(String($0)) ? $0 : "-" }.prefix(room))
        return "worker-\(safeHost)\(tail)"
    }

    /// An id (or what a peer claims is one) as it may appear in a log line: as it is when valid,
    /// otherwise quoted and `escaped`.
    public static func loggable(_ id: String, limit: Int = 200) -> String {
        isValid(id) ? id : "\"\(escaped(id, limit: limit))\""
    }

    /// Peer-supplied free text (a reason, a capability) as it may appear in a log line: control
    /// and invisible format characters (bidirectional overrides) escaped as `\n`, `\u{1B}`, quotes
    /// and backslashes escaped, and cut at `limit` characters with `…`.
    public static func escaped(_ text: String, limit: Int = 2000) -> String {
        var out = ""
        var shown = 0
        for scalar in text.unicodeScalars {
            if shown == limit {
                out += "…"
                break
            }
            switch scalar {
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case _ where scalar.value < 0x20 || (scalar.value >= 0x7F && scalar.value < 0xA0) || scalar.properties.generalCategory == .format:
                out += "\\u{\(String(scalar.value, radix: 16, uppercase: true))}"
            default: out.unicodeScalars.append(scalar)
            }
            shown += 1
        }
        return out
    }
}
