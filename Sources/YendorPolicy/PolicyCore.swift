/// The policy's core: what sits between the observation encoders and the heads.
public enum PolicyCore: String, Sendable, Codable, CaseIterable {
    /// Feed-forward layers only; every step is judged on its own observation.
    case mlp
    /// The MLP layers followed by a GRU whose hidden state carries memory across the
    /// steps of an episode (reset to zero when an episode starts).
    case gru
}
