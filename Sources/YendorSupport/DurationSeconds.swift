extension Duration {
    /// The duration in seconds as a Double (for URLRequest timeouts, JSON and metrics).
    public var seconds: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }
}
