/// The struct-of-arrays output buffers of a vector environment, allocated once for `count` envs of
/// a spec and freed with the object. Environments write them; consumers read them through the
/// `VectorEnvironment` accessors (see `BufferedVectorEnvironment`).
public final class EnvironmentBuffers {
    public let glyphs: UnsafeMutableBufferPointer<Int16>
    public let crop: UnsafeMutableBufferPointer<Int16>
    public let blstats: UnsafeMutableBufferPointer<Int32>
    public let captions: UnsafeMutableBufferPointer<UInt8>
    public let captionLength: UnsafeMutableBufferPointer<Int32>
    public let captionCount: UnsafeMutableBufferPointer<Int32>
    public let reward: UnsafeMutableBufferPointer<Float>
    public let done: UnsafeMutableBufferPointer<UInt8>
    public let truncated: UnsafeMutableBufferPointer<UInt8>

    /// Zeroed buffers for `count` envs of `spec`.
    public init(spec: ObservationSpec, count: Int) {
        func allocate<T>(_ n: Int, _ zero: T) -> UnsafeMutableBufferPointer<T> {
            let buffer = UnsafeMutableBufferPointer<T>.allocate(capacity: n)
            buffer.initialize(repeating: zero)
            return buffer
        }
        glyphs = allocate(count * spec.glyphsPerEnv, 0)
        crop = allocate(count * spec.cropPerEnv, 0)
        blstats = allocate(count * spec.blstatsCount, 0)
        captions = allocate(count * spec.captionBytes, 0)
        captionLength = allocate(count, 0)
        captionCount = allocate(count, 0)
        reward = allocate(count, 0)
        done = allocate(count, 0)
        truncated = allocate(count, 0)
    }

    /// Env `i`'s reward and episode-end flags back to 0 (a fresh episode, before any step).
    public func clearOutcome(_ i: Int) {
        reward[i] = 0
        done[i] = 0
        truncated[i] = 0
    }

    deinit {
        glyphs.deallocate(); crop.deallocate(); blstats.deallocate(); captions.deallocate()
        captionLength.deallocate(); captionCount.deallocate(); reward.deallocate(); done.deallocate()
        truncated.deallocate()
    }
}

/// A vector environment whose buffers are an `EnvironmentBuffers`: the read accessors come free.
public protocol BufferedVectorEnvironment: VectorEnvironment {
    var buffers: EnvironmentBuffers { get }
}

extension BufferedVectorEnvironment {
    public var glyphs: UnsafeBufferPointer<Int16> { UnsafeBufferPointer(buffers.glyphs) }
    public var crop: UnsafeBufferPointer<Int16> { UnsafeBufferPointer(buffers.crop) }
    public var blstats: UnsafeBufferPointer<Int32> { UnsafeBufferPointer(buffers.blstats) }
    public var captions: UnsafeBufferPointer<UInt8> { UnsafeBufferPointer(buffers.captions) }
    public var captionLength: UnsafeBufferPointer<Int32> { UnsafeBufferPointer(buffers.captionLength) }
    public var captionCount: UnsafeBufferPointer<Int32> { UnsafeBufferPointer(buffers.captionCount) }
    public var reward: UnsafeBufferPointer<Float> { UnsafeBufferPointer(buffers.reward) }
    public var done: UnsafeBufferPointer<UInt8> { UnsafeBufferPointer(buffers.done) }
    public var truncated: UnsafeBufferPointer<UInt8> { UnsafeBufferPointer(buffers.truncated) }
}
