/// Range checks shared by the configurations; each error names the field.
enum RewardValidation {
    static func positive(_ value: Int, _ field: String) throws {
        guard value >= 1 else { throw RewardError.invalidConfiguration(field: field, reason: "must be >= 1, got \(value)") }
    }

    static func atLeast(_ value: Int, _ minimum: Int, _ field: String) throws {
        guard value >= minimum else { throw RewardError.invalidConfiguration(field: field, reason: "must be >= \(minimum), got \(value)") }
    }

    static func positive(_ value: Float, _ field: String) throws {
        guard value.isFinite, value > 0 else { throw RewardError.invalidConfiguration(field: field, reason: "must be finite and > 0, got \(value)") }
    }

    static func nonNegative(_ value: Float, _ field: String) throws {
        guard value.isFinite, value >= 0 else { throw RewardError.invalidConfiguration(field: field, reason: "must be finite and >= 0, got \(value)") }
    }

    /// 0 ≤ value ≤ 1, or strictly inside when `open`.
    static func fraction(_ value: Float, _ field: String, open: Bool = false) throws {
        let ok = open ? (value > 0 && value < 1) : (value >= 0 && value <= 1)
        guard value.isFinite, ok else {
            throw RewardError.invalidConfiguration(field: field, reason: open ? "must be in (0, 1), got \(value)" : "must be in [0, 1], got \(value)")
        }
    }
}
