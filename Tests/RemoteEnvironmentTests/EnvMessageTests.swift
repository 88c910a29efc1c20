import Testing
import YendorWire

@Suite struct EnvMessageTests {
    @Test func everyEnvServerMessageRoundTrips() throws {
        let obs = [NamedArray(name: "glyphs", shape: [2, 1, 3], values: [Int16](arrayLiteral: 1, 2, 3, 4, 5, 6))]
        let messages: [WireMessage] = [
            .envOpen(EnvOpen(sequence: 1, seed: 7)),
            .envSpec(EnvSpecMessage(sequence: 1, environment: "gym:X", task: "X", numEnvs: 2, sizes: [1, 3, 1, 9, 0, 8, 4], observations: obs)),
            .envStep(EnvStep(sequence: 2, actions: [3, 0])),
            .envStepResult(EnvStepResult(sequence: 2, arrays: obs, episodes: [
                EnvEpisode(env: 1, episodeReturn: 1.5, length: 9, success: true, truncated: false, lastCaption: "You win.", error: "")])),
            .envClose(EnvClose(sequence: 3)),
            .envError(EnvError(sequence: 4, message: "no")),
            .envDescribe(EnvDescribe(sequence: 5)),
        ]
        for m in messages { #expect(try WireMessage.decode(m.encoded()) == m) }
    }
}
