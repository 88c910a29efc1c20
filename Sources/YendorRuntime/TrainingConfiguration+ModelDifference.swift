extension TrainingConfiguration {
    /// What differs between a checkpoint's model signature and the one a configuration builds, in
    /// words a user can act on: "actions=23 in the checkpoint, actions=28 here (set by the env and
    /// task: --env, --task)". The signature is `modelSignature`'s: the observation spec first (set by
    /// the env and task), then the network (`model.*`).
    static func modelDifference(checkpoint: String, configured: String) -> String {
        let a = settings(of: checkpoint), b = settings(of: configured)
        guard a.count == b.count else { return "the networks differ in shape" }
        let networkStart = b.firstIndex { $0.hasPrefix("emb=") } ?? b.count
        let differing = zip(a, b).enumerated().filter { $0.element.0 != $0.element.1 }
        guard !differing.isEmpty else { return "the networks differ" }
        let spec = differing.contains { $0.offset < networkStart }, network = differing.contains { $0.offset >= networkStart }
        let causes = (spec ? ["the env and task: --env, --task, env.crop_size"] : []) + (network ? ["model.*"] : [])
        return differing.map { "\($0.element.0) in the checkpoint, \($0.element.1) here" }.joined(separator: "; ")
            + " (set by \(causes.joined(separator: " and ")))"
    }

    /// A signature's settings: its words, a word without `=` joined to the one before
    /// (`conv=[16, 16]` is one setting).
    private static func settings(of signature: String) -> [String] {
        var out: [String] = []
        for word in signature.split(separator: " ").map(String.init) {
            if !word.contains("="), let last = out.last, last.contains("=") { out[out.count - 1] = last + " " + word } else { out.append(word) }
        }
        return out
    }
}
