/// Upper bounds the decoder enforces before allocating anything, so hostile or corrupt input can
/// never make a role allocate absurd memory. Every role takes these from its configuration.
public struct WireLimits: Sendable, Equatable {
    /// Largest whole message (envelope + payload) accepted, in bytes. Default 256 MiB.
    public var maxMessageBytes: Int
    /// Most arrays in one message. Default 1,024.
    public var maxArrays: Int
    /// Most dimensions of one array. Default 8.
    public var maxDimensions: Int
    /// Longest string (caption, name, goal text) in bytes. Default 64 KiB.
    public var maxStringBytes: Int
    /// Most items in a list (captions in a table, annotation items, stats entries). Default 1,048,576.
    public var maxItems: Int

    public init(maxMessageBytes: Int = 256 << 20, maxArrays: Int = 1024, maxDimensions: Int = 8,
                maxStringBytes: Int = 64 << 10, maxItems: Int = 1 << 20) {
        self.maxMessageBytes = maxMessageBytes
        self.maxArrays = maxArrays
        self.maxDimensions = maxDimensions
        self.maxStringBytes = maxStringBytes
        self.maxItems = maxItems
    }

    public static let `default` = WireLimits()
}
