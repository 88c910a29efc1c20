import Foundation

extension FileHandle {
    /// Appends `data` whole or not at all. A write that fails partway (a full disk writes what
    /// fits, then fails) left a fragment that the next record was glued to: metrics.jsonl got lines
    /// that are not JSON, and TensorBoard's reader stopped for good at the torn record (trial Y).
    /// The file is cut back to where it ended, and the error thrown.
    func appendWhole(_ data: Data) throws {
        let start = try offset()
        do {
            try write(contentsOf: data)  // the older `write(_:)` traps on an I/O error
        } catch {
            try? truncate(atOffset: start)
            throw error
        }
    }
}
