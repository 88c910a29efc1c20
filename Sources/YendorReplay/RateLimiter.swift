/// Keeps the ratio of samples to inserts near a target, like Reverb's `SampleToInsertRatio`.
///
/// The limiter looks only at counters: items inserted and samples drawn since the buffer was
/// created (checkpoints carry both), and the current size. With `samplesPerInsert` = r and
/// `errorBuffer` = e, let offset = r × `minSizeToSample` and diff = r × inserted − sampled. Then
///
/// - an insert is allowed when the buffer would then hold at most `minSizeToSample` items, or when
///   diff after the insert stays ≤ offset + e (sampling has kept up);
/// - a draw of n samples is allowed when the buffer holds at least `minSizeToSample` items and
///   diff after the draw stays ≥ offset − e (inserting has kept up).
///
/// The offset accounts for the `minSizeToSample` inserts that happen before any sampling may start.
/// Answers are plain `Bool`s: the caller decides whether to wait, retry, or apply backpressure.
public struct RateLimiter: Sendable, Equatable {
    /// Target samples per inserted item; nil enforces no ratio, only `minSizeToSample`. Default nil.
    public var samplesPerInsert: Double?
    /// How far, in samples, the sample count may run ahead of or behind the target. Must be at
    /// least max(1, `samplesPerInsert`), or inserts and samples could block each other forever.
    /// Ignored when `samplesPerInsert` is nil. Default 1.
    public var errorBuffer: Double
    /// Items the buffer must hold before any sampling. Default 1.
    public var minSizeToSample: Int

    public init(samplesPerInsert: Double? = nil, errorBuffer: Double = 1, minSizeToSample: Int = 1) {
        self.samplesPerInsert = samplesPerInsert
        self.errorBuffer = errorBuffer
        self.minSizeToSample = minSizeToSample
    }

    /// No ratio; sampling may start as soon as one item is present.
    public static let unlimited = RateLimiter()

    /// Throws `ReplayError.invalidConfiguration` naming the first bad field under `prefix`.
    public func validate(prefix: String = "rateLimiter") throws {
        guard minSizeToSample >= 1 else {
            throw ReplayError.invalidConfiguration(field: "\(prefix).minSizeToSample",
                                                   reason: "is \(minSizeToSample), must be at least 1")
        }
        guard let r = samplesPerInsert else { return }
        guard r.isFinite, r > 0 else {
            throw ReplayError.invalidConfiguration(field: "\(prefix).samplesPerInsert",
                                                   reason: "is \(r), must be a finite number above zero")
        }
        guard errorBuffer.isFinite, errorBuffer >= max(1, r) else {
            throw ReplayError.invalidConfiguration(
                field: "\(prefix).errorBuffer",
                reason: "is \(errorBuffer), must be at least max(1, samplesPerInsert) = \(max(1, r)) "
                    + "so that inserts and samples cannot block each other forever")
        }
    }

    /// Whether `count` more inserts may happen now.
    public func canInsert(count: Int = 1, inserted: UInt64, sampled: UInt64, size: Int) -> Bool {
        if size + count <= minSizeToSample { return true }
        guard let r = samplesPerInsert else { return true }
        let diff = r * Double(inserted + UInt64(count)) - Double(sampled)
        return diff <= r * Double(minSizeToSample) + errorBuffer
    }

    /// Whether `count` more samples may be drawn now.
    public func canSample(count: Int = 1, inserted: UInt64, sampled: UInt64, size: Int) -> Bool {
        if size < minSizeToSample { return false }
        guard let r = samplesPerInsert else { return true }
        let diff = r * Double(inserted) - Double(sampled + UInt64(count))
        return diff >= r * Double(minSizeToSample) - errorBuffer
    }
}
