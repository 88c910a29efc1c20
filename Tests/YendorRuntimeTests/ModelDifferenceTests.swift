import Testing
@testable import YendorRuntime

/// The words a checkpoint refused for another model gives: what differs, and what sets it.
struct ModelDifferenceTests {
    static let checkpoint = "policy-v1 obs-v2 env=nle:staircase map=21x79 crop=9 glyphs=5976 blstats=27 caption=256 actions=23 emb=16 conv=[16, 16] k=3 core=128x2 ln=true buckets=4096 caption=32 blstats=32 glyphf=128"

    @Test func anotherTasksActionSetIsNamedWithTheEnvAndTaskAsItsCause() {
        let here = Self.checkpoint.replacingOccurrences(of: "actions=23", with: "actions=28")
        #expect(TrainingConfiguration.modelDifference(checkpoint: Self.checkpoint, configured: here)
                == "actions=23 in the checkpoint, actions=28 here (set by the env and task: --env, --task, env.crop_size)")
    }

    @Test func networkSettingsAreNamedWhole() {
        let here = Self.checkpoint.replacingOccurrences(of: "conv=[16, 16]", with: "conv=[32, 32]")
            .replacingOccurrences(of: "caption=32", with: "caption=64")
        #expect(TrainingConfiguration.modelDifference(checkpoint: Self.checkpoint, configured: here)
                == "conv=[16, 16] in the checkpoint, conv=[32, 32] here; caption=32 in the checkpoint, caption=64 here (set by model.*)")
    }

    @Test func aNetworkOfAnotherShapeIsSaidSo() {
        let here = Self.checkpoint.replacingOccurrences(of: " ln=true", with: " ln=true recurrent=gru")
        #expect(TrainingConfiguration.modelDifference(checkpoint: Self.checkpoint, configured: here) == "the networks differ in shape")
    }
}
