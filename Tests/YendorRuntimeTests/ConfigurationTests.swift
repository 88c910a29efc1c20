import Foundation
import Testing
import YendorAnnotator
@testable import YendorRuntime
import YendorRewards
import YendorSupport
import YendorTestSupport

@Suite("Configuration")
struct ConfigurationTests {
    let table = TrainingConfiguration.table

    /// A model mismatch names the parts that differ, not only both whole signatures.
    @Test func twoModelSignaturesDifferInTheirDifferingPartsOnly() throws {
        var a = TrainingConfiguration(), b = TrainingConfiguration()
        try TrainingConfiguration.table.apply(yaml: "model:\n  conv_channels: 4\n", source: "a", to: &a)
        try TrainingConfiguration.table.apply(yaml: "model:\n  conv_channels: 8\n", source: "b", to: &b)
        let d = TrainingConfiguration.signatureDifference(a.modelSignature, b.modelSignature)
        #expect(d.ours == "conv=[4]" && d.theirs == "conv=[8]", "\(d)")
        #expect(TrainingConfiguration.signatureDifference(a.modelSignature, a.modelSignature) == ("", ""))
    }

    /// A side that only lacks the other's parts (an MLP core has no `recurrent=` part) is said so:
    /// the refusal read "(learner , worker recurrent=gru)" (trial T).
    @Test func aMismatchSaysWhatASideLacksRatherThanNothing() throws {
        var mlp = TrainingConfiguration(), gru = TrainingConfiguration()
        try TrainingConfiguration.table.apply(yaml: "model:\n  core: gru\n", source: "gru", to: &gru)
        #expect(TrainingConfiguration.mismatchSaid(learner: mlp.modelSignature, worker: gru.modelSignature)
                == "learner without recurrent=gru, worker recurrent=gru")
        #expect(TrainingConfiguration.mismatchSaid(learner: gru.modelSignature, worker: mlp.modelSignature, workerCalled: "this worker")
                == "learner recurrent=gru, this worker without recurrent=gru")
        try TrainingConfiguration.table.apply(yaml: "model:\n  conv_channels: 8\n", source: "mlp", to: &mlp)
        #expect(TrainingConfiguration.mismatchSaid(learner: mlp.modelSignature, worker: gru.modelSignature).hasPrefix("learner conv=[8], worker conv="))
    }

    @Test func yamlThenOverridesApplyInOrder() throws {
        var c = TrainingConfiguration()
        try table.apply(yaml: """
            env:
              task: keyroom
              envs: 8
            learner:
              learning_rate: 0.001
            model:
              conv_channels: [8, 8]
            """, source: "test.yaml", to: &c)
        #expect(c.env.task == "keyroom" && c.env.envsPerActor == 8)
        #expect(c.learner.learningRate == 0.001)
        #expect(c.learner.policy.convolutionChannels == [8, 8])
        try table.apply(overrides: ["env.envs=16", "run.total_steps=1_000"], to: &c)
        #expect(c.env.envsPerActor == 16 && c.run.totalSteps == 1000)
        try c.validate()
    }

    /// The learner's start-up line names what labels in process: it said "openai labeler (the lexicon
    /// is a rule-based stand-in for an LLM)" for a server, without its address or model.
    /// What a long run's reward model holds is bounded by these; they were reachable from Swift only.
    @Test func theRewardModelsLabelCapsAreSettingsThatReachTheModels() throws {
        var c = TrainingConfiguration()
        try TrainingConfiguration.table.apply(overrides: ["reward.retrieval_max_labels=200000", "reward.classification_max_labels=7000",
                                                         "reward.ranking_max_preferences=9000"], to: &c)
        #expect(c.reward.models.retrieval.maxLabels == 200_000)
        #expect(c.reward.models.classification.maxLabels == 7000)
        #expect(c.reward.models.ranking.maxPreferences == 9000)
        let model = try RetrievalRewardModel(configuration: c.reward.models.retrieval)
        #expect(model.configuration.maxLabels == 200_000)
    }

    @Test func theInProcessLabelerIsDescribedByWhatItIs() throws {
        var c = TrainingConfiguration()
        #expect(c.reward.labeler.summary.contains("stand-in for an LLM"))
        try TrainingConfiguration.table.apply(overrides: ["reward.labeler=openai", "reward.llm_url=http://10.0.0.9:8000/v1",
                                                          "reward.llm_model=qwen"], to: &c)
        let summary = c.reward.labeler.summary
        #expect(summary.contains("http://10.0.0.9:8000/v1") && summary.contains("model qwen") && !summary.contains("stand-in"), "\(summary)")
    }

    @Test func unknownKeysAndBadValuesNameTheField() {
        var c = TrainingConfiguration()
        #expect(throws: ConfigurationError.self) { try table.apply(overrides: ["learner.learnin_rate=0.1"], to: &c) }
        do {
            try table.apply(overrides: ["learner.learnin_rate=0.1"], to: &c)
        } catch let e as ConfigurationError {
            #expect(e.field == "learner.learnin_rate" && e.problem.contains("unknown") && e.problem.contains("learner.learning_rate"))
        } catch { Issue.record("wrong error \(error)") }
        do {
            try table.apply(yaml: "env:\n  envs: many\n", source: "bad.yaml", to: &c)
        } catch let e as ConfigurationError {
            #expect(e.field == "env.envs" && e.source == "bad.yaml" && e.problem.contains("integer"))
        } catch { Issue.record("wrong error \(error)") }
        #expect(throws: ConfigurationError(field: "env", problem: "expected key=value", source: "--set")) {
            try table.apply(overrides: ["env"], to: &c)
        }
    }

    /// `nan` and `inf` parse as numbers but were let through every `> 0` check, and a heartbeat
    /// interval of `inf` trapped the worker converting it to milliseconds.
    @Test(arguments: ["transport.heartbeat_interval=inf", "run.log_interval=nan", "learner.learning_rate=-inf", "learner.int_coef=nan"])
    func nonFiniteNumbersAreRefusedNamingTheField(_ setting: String) {
        var c = TrainingConfiguration()
        let field = String(setting.split(separator: "=")[0])
        #expect { try table.apply(overrides: [setting], to: &c) } throws: { error in
            guard let e = error as? ConfigurationError else { return false }
            return e.field == field && e.problem.contains("a finite number")
        }
    }

    /// The learner, the network and the replay buffer validate their own configurations, naming
    /// Swift properties (`coreWidth`); the user reads the keys they set (`model.core_width`).
    @Test func aComponentsValidationErrorNamesTheConfigurationKeys() throws {
        var c = TrainingConfiguration()
        c.learner.policy.coreLayers = 0
        #expect { try c.validate() } throws: { error in
            guard let e = error as? ConfigurationError else { return false }
            return e.field == "model.core_width" && e.problem.contains("model.core_width and model.core_layers must be >= 1")
        }
        c = TrainingConfiguration()
        c.learner.epochs = 0
        #expect { try c.validate() } throws: { ($0 as? ConfigurationError)?.field == "learner.epochs" }
        // A negative weight turned its loss term around without a word.
        for setting in ["learner.entropy_coef=-1", "learner.value_loss_coef=-0.5"] {
            c = TrainingConfiguration()
            try? table.apply(overrides: [setting], to: &c)
            let key = String(setting.split(separator: "=")[0])
            #expect { try c.validate() } throws: { ($0 as? ConfigurationError)?.field == key }
        }
        #expect(table.withKeys("learningRate must be > 0, not learningRates").text == "learner.learning_rate must be > 0, not learningRates")
        // Trial C7: these named another key (`transport.replay`, `learner.rho_bar`,
        // `replay.samples_per_insert`) or a Swift property (`retrieval.queryRetrySeconds`).
        for settings in [["replay.capacity=2147483648"], ["replay.max_times_sampled=-1"], ["learner.c_bar=0"],
                         ["reward.model=retrieval", "reward.retrieval_max_labels=0"],
                         ["reward.model=classification", "reward.classification_max_labels=0"],
                         ["reward.model=retrieval", "reward.query_retry_s=0"]] {
            c = TrainingConfiguration()
            try table.apply(overrides: settings, to: &c)
            let key = String(settings.last!.split(separator: "=")[0])
            #expect { try c.validate() } throws: { error in
                guard let e = error as? ConfigurationError else { return false }
                return e.field == key && !["Seconds", "maxLabels", "rhoBar", "transport.replay", "samples_per_insert"].contains { e.problem.contains($0) }
            }
        }
    }

    /// A setting out of its bounds is refused naming the field, and the bound passes: `/metrics`'s
    /// host (it listened on every interface with no way to narrow it; a host name or a typo would
    /// have reached the socket call), and `env.envs` (100,000 made one rollout so long that
    /// evaluate and train ignored SIGTERM for minutes); a linear schedule's end above its start; a
    /// reconnect backoff whose longest wait is shorter than its first.
    @Test(arguments: ["localhost", "127.0.0", "::1", "300.1.1.1", ""].map { ("run.prometheus_host=\($0)", "run.prometheus_host=127.0.0.1", "IPv4 address") } + [
                      ("env.envs=\(TrainingConfiguration.maxEnvsPerActor + 1)", "env.envs=\(TrainingConfiguration.maxEnvsPerActor)", "raise env.actors"),
                      ("learner.learning_rate_final_fraction=1.5", "learner.learning_rate_final_fraction=1", "must be in [0, 1]"),
                      ("transport.reconnect_ms=0", "transport.reconnect_ms=1", "must be in 1...3600000"),
                      ("transport.reconnect_max_ms=50", "transport.reconnect_max_ms=100", "must be in transport.reconnect_ms (100)"),
                      ("transport.connect_timeout_ms=0", "transport.connect_timeout_ms=1", "must be in 1...3600000")])
    func aSettingOutOfItsBoundsIsRefusedNamingTheFieldAndTheBoundPasses(_ bad: String, _ good: String, _ says: String) throws {
        var c = TrainingConfiguration()
        try table.apply(overrides: [bad], to: &c)
        #expect { try c.validate() } throws: { error in
            guard let e = error as? ConfigurationError else { return false }
            return e.field == String(bad.prefix { $0 != "=" }) && e.problem.contains(says)
        }
        try table.apply(overrides: [good], to: &c)
        try c.validate()
    }

    /// A misspelt built-in goal became free text without a word.
    @Test func aOneWordGoalThatIsNoBuiltInOneIsWarnedAboutAndASentenceIsNot() throws {
        var c = TrainingConfiguration()
        try table.apply(overrides: ["reward.goal=stiars"], to: &c)
        #expect(c.goalWarning?.contains("reward.goal 'stiars' names no built-in goal") == true, "\(c.goalWarning ?? "nil")")
        for goal in ["stairs", "custom:find the key and open the door", "find the key and open the door", "auto"] {
            try table.apply(overrides: ["reward.goal=\(goal)"], to: &c)
            #expect(c.goalWarning == nil, "\(goal)")
        }
    }

    /// LLM settings with the lexicon labeler were taken without a word (trial N); with the openai
    /// labeler, a remote annotator or no reward model there is nothing to say.
    @Test func llmSettingsGivenToTheLexiconLabelerAreWarnedAbout() throws {
        var c = TrainingConfiguration()
        #expect(c.labelerWarning == nil)
        try table.apply(overrides: ["reward.llm_url=http://127.0.0.1:9/v1", "reward.llm_model=m"], to: &c)
        #expect(c.labelerWarning == "reward.llm_url, reward.llm_model set, but reward.labeler is lexicon: no LLM server is asked (set reward.labeler=openai to label with it)",
                "\(c.labelerWarning ?? "nil")")
        for other in ["reward.labeler=openai", "reward.annotator=127.0.0.1", "reward.model=none"] {
            var d = c
            try table.apply(overrides: [other], to: &d)
            #expect(d.labelerWarning == nil, "\(other)")
        }
    }

    /// A file that is there but not UTF-8 was "cannot read the configuration file", like a missing one.
    @Test func aConfigurationFileThatIsNotUTF8IsToldApartFromOneThatCannotBeRead() throws {
        let file = Scratch.root.appendingPathComponent("latin1-\(UUID().uuidString.prefix(8)).yaml")
        try Data([0x65, 0x6E, 0x76, 0x3A, 0x20, 0xE9, 0xFF, 0x0A]).write(to: file)  // "env: \xE9\xFF"
        var c = TrainingConfiguration()
        #expect { try table.apply(yamlFile: file.path, to: &c) } throws: {
            ($0 as? ConfigurationError)?.problem.contains("not UTF-8") == true
        }
        #expect { try table.apply(yamlFile: file.path + ".missing", to: &c) } throws: {
            guard let e = $0 as? ConfigurationError else { return false }
            return e.problem.hasPrefix("cannot read the configuration file: ") && !e.problem.contains("UTF-8")
        }
    }

    /// " auto" was the free-text goal " auto", without the warning a one-word goal gets (trial C7).
    @Test func aGoalsSurroundingWhitespaceIsNotPartOfIt() throws {
        var c = TrainingConfiguration()
        try table.apply(overrides: ["reward.goal= auto"], to: &c)
        #expect(c.reward.goal == .auto)
        try table.apply(overrides: ["reward.goal=stairs "], to: &c)
        #expect(c.reward.goal == .goal(.stairs))
        try table.apply(overrides: ["reward.goal= find the key "], to: &c)
        #expect(c.reward.goal == .goal(.custom("find the key")))
    }

    /// Half a CURVE setting (the server's key or an allow-list without this node's own secret key)
    /// ran in plaintext without a word.
    @Test(arguments: ["transport.curve_server_key", "transport.curve_annotator_key", "transport.curve_allowed_clients"])
    func aCurveSettingWithoutTheSecretKeyIsRefused(key: String) throws {
        var c = TrainingConfiguration()
        try TrainingConfiguration.table.set(key, "keys/server.pub", in: &c, source: "test")
        #expect { try c.validate() } throws: { ($0 as? ConfigurationError)?.field == key }
        try TrainingConfiguration.table.set("transport.curve_secret_key_file", "keys/worker.key", in: &c, source: "test")
        try c.validate()
    }

    @Test func heartbeatSettingsThatWouldOverflowTheirMillisecondsAreRefused() {
        var c = TrainingConfiguration()
        c.transport.heartbeatInterval = 1e300
        #expect { try c.validate() } throws: { ($0 as? ConfigurationError)?.field == "transport.heartbeat_interval" }
        c = TrainingConfiguration()
        c.transport.heartbeatMisses = .max
        #expect { try c.validate() } throws: { ($0 as? ConfigurationError)?.field == "transport.heartbeat_misses" }
        #expect(Duration.milliseconds(clamping: .infinity) == Int(Int32.max))
        #expect(Duration.milliseconds(clamping: .nan) == 0 && Duration.milliseconds(clamping: -3) == 0)
        #expect(Duration.milliseconds(clamping: 1.2345) == 1235)
    }

    /// Enum fields are parsed once, where the configuration is read: a value outside the enum is
    /// refused naming the field and listing the cases; a good one reads back as written.
    @Test(arguments: [("replay.sampler", "uniform", "fifo, uniform, prioritized"),
                      ("replay.full_policy", "drop-oldest", "block, drop-oldest"),
                      ("reward.model", "ranking", "none, retrieval, classification, ranking"),
                      ("reward.labeler", "simulated", "lexicon, openai, simulated")])
    func enumFieldsAcceptTheirCasesAndRefuseOthersListingThem(key: String, good: String, cases: String) throws {
        var c = TrainingConfiguration()
        do {
            try table.apply(overrides: ["\(key)=motif"], to: &c)
            Issue.record("\(key)=motif was accepted")
        } catch let e as ConfigurationError {
            #expect(e.field == key && e.problem.contains("one of \(cases)"), "\(e)")
        }
        try table.apply(overrides: ["\(key)=\(good)"], to: &c)
        #expect(table.yaml(c).contains(good))
        try c.validate()
    }

    /// The replay buffer's prioritized sampler would sample as uniform does in a run (nothing sets
    /// priorities): refused, saying so, where it was accepted and did nothing.
    @Test func aPrioritizedReplaySamplerIsRefusedSayingNothingSetsPriorities() throws {
        var c = TrainingConfiguration()
        try table.apply(overrides: ["replay.sampler=prioritized"], to: &c)
        #expect(throws: ConfigurationError.self) { try c.validate() }
        do { try c.validate() } catch let e as ConfigurationError {
            #expect(e.field == "replay.sampler" && e.problem.contains("nothing sets priorities"), "\(e)")
        }
    }

    @Test func theSimulatedLabelerWrapsTheConfiguredServerOrTheLexicon() throws {
        let simulation = SimulatedLabeler.Configuration()
        let server = OpenAILabeler.Configuration(baseURL: URL(string: "http://127.0.0.1:1/v1")!, model: "m")
        guard case .simulated(_, .lexicon) = try LabelerBackend.named(.simulated, openAI: nil, simulation: simulation),
              case .simulated(_, .openai) = try LabelerBackend.named(.simulated, openAI: server, simulation: simulation),
              case .openai = try LabelerBackend.named(.openai, openAI: server, simulation: simulation),
              case .lexicon = try LabelerBackend.named(.lexicon, openAI: server, simulation: simulation) else {
            Issue.record("a labeler name maps to the wrong backend")
            return
        }
        #expect(throws: AnnotatorError.self) { try LabelerBackend.named(.openai, openAI: nil, simulation: simulation) }
    }

    /// The in-process labeler reads the same `LabelerChoice` as `yendor annotator`'s flags: its
    /// `reward.llm_*` and `reward.simulated_*` keys are checked by that type, and its errors name the key.
    @Test func labelerKeysAreCheckedByTheAnnotatorsOwnChoiceNamingTheKey() throws {
        func field(_ overrides: [String]) throws -> String? {
            var c = TrainingConfiguration()
            try table.apply(overrides: overrides, to: &c)
            do { try c.validate(); return nil } catch let e as ConfigurationError { return e.field }
        }
        #expect(try field(["reward.labeler=openai"]) == "reward.llm_url")
        #expect(try field(["reward.llm_url=http://127.0.0.1:8000/v1"]) == "reward.llm_model")
        #expect(try field(["reward.llm_url=not a url", "reward.llm_model=m"]) == "reward.llm_url")
        #expect(try field(["reward.labeler=simulated", "reward.simulated_noise=1.5"]) == "reward.simulated_noise")
        #expect(try field(["reward.labeler=openai", "reward.llm_url=http://127.0.0.1:8000/v1", "reward.llm_model=m",
                           "reward.llm_max_tokens=0"]) == "reward.llm_max_tokens")
        var c = TrainingConfiguration()
        try table.apply(overrides: ["reward.labeler=openai", "reward.llm_url=http://127.0.0.1:8000/v1", "reward.llm_model=m",
                                    "reward.llm_endpoint=completions", "reward.llm_prompt_set=oni", "reward.llm_max_tokens=64"], to: &c)
        try c.validate()
        guard case .openai(let server) = try c.reward.labeler.backend() else { Issue.record("not an openai backend"); return }
        #expect(server.endpoint == .completions && server.maxTokens == 64 && server.model == "m")
        #expect(server.prompts.version == PromptSet.oni.version)
        #expect(TrainingConfiguration().reward.labeler.simulatedNoise == 0.1, "yendor train's simulated labeler is noisy by default")
    }

    @Test func eachEnvServerIsSplitAcrossActorsAndTooFewSlicesAreRefused() throws {
        var c = TrainingConfiguration()
        try table.apply(overrides: ["env.kind=server", "env.servers=tcp://a:1,tcp://b:2", "env.actors=2",
                                    "env.server_spec=\(c.observationSpec.fingerprint)"], to: &c)
        try c.validate()
        // Two slices per server (the default): each actor steps one slice of every server, so every
        // server has a slice to step while the other actor's reply is decoded.
        #expect(c.servers(forActor: 0).map(\.description) == ["tcp://a:1 (slice 1 of 2)", "tcp://b:2 (slice 1 of 2)"])
        #expect(c.servers(forActor: 1).map(\.description) == ["tcp://a:1 (slice 2 of 2)", "tcp://b:2 (slice 2 of 2)"])
        try table.apply(overrides: ["env.server_splits=1", "env.actors=3"], to: &c)
        do {
            try c.validate()
            Issue.record("3 actors on 2 whole servers were accepted")
        } catch let e as ConfigurationError {
            #expect(e.field == "env.servers" && e.problem.contains("2 slice(s) for 3 actors"), "\(e)")
        }
        try table.apply(overrides: ["env.server_splits=2"], to: &c)
        try c.validate()
        #expect((0..<3).map { c.servers(forActor: $0).count } == [2, 1, 1])
    }

    @Test func validationNamesTheFirstBadField() {
        var c = TrainingConfiguration()
        c.env.envsPerActor = 0
        #expect(throws: ConfigurationError(field: "env.envs", problem: "must be at least 1")) { try c.validate() }
        c = TrainingConfiguration()
        c.env.task = "nethack"
        #expect { try c.validate() } throws: { ($0 as? ConfigurationError)?.field == "env.task" }
        c = TrainingConfiguration()
        c.transport.trajectories = "http://x"
        #expect { try c.validate() } throws: { ($0 as? ConfigurationError)?.field == "transport.trajectories" }
    }

    /// Trial C7: values past any use (a pasted number, digits typed twice) trapped, aborted or
    /// took all memory once the role started (`env.actors=65536`: 14 GB, deaf to SIGINT); each is
    /// refused before anything starts, naming its key.
    @Test(arguments: [
        ("env.actors", "9223372036854775807"), ("env.actors", "65536"), ("env.map_rows", "9223372036854775807"),
        ("learner.blas_threads", "2147483648"), ("learner.epochs", "9223372036854775807"), ("learner.batch_size", "9223372036854775807"),
        ("model.core_width", "2147483648"), ("model.core_width", "20000"), ("model.core_layers", "9223372036854775807"),
        ("model.glyph_embedding", "9223372036854775807"), ("model.conv_channels", "16,9223372036854775807"),
        ("model.caption_buckets", "9223372036854775807"), ("model.caption_features", "9223372036854775807"),
        ("replay.samples_per_insert", "1e300"), ("replay.samples_per_insert", "-1"),
        ("transport.queue_capacity", "9223372036854775807"), ("transport.max_message_mib", "9223372036854775807"),
    ])
    func sizesPastAnyUseAreRefusedNamingTheirKey(_ key: String, _ value: String) throws {
        var c = TrainingConfiguration()
        try table.apply(overrides: ["\(key)=\(value)"], to: &c)
        #expect { try c.validate() } throws: { error in
            guard let e = error as? ConfigurationError else { return false }
            return e.field.contains(key)
        }
    }

    /// Trial C7: libzmq keeps a port's low 16 bits, so `tcp://127.0.0.1:99999` listened on 34463.
    @Test(arguments: ["tcp://127.0.0.1:99999", "tcp://127.0.0.1:0", "tcp://127.0.0.1:port", "tcp://127.0.0.1:"])
    func aTcpEndpointWithoutAPortInRangeIsRefused(_ endpoint: String) throws {
        var c = TrainingConfiguration()
        try table.apply(overrides: ["transport.trajectories=\(endpoint)"], to: &c)
        #expect { try c.validate() } throws: { ($0 as? ConfigurationError)?.field == "transport.trajectories" && "\($0)".contains("1...65535") }
        for fine in ["tcp://*:5555", "tcp://[::1]:5555", "tcp://10.0.0.5:65535"] {
            c.transport.trajectories = fine
            try c.validate()
        }
    }

    /// One role listens on both endpoints of a pair: on one port the second bind was said to be "in
    /// use by another process" (trial T). Any address of a port is that port.
    @Test(arguments: [("transport.weights", "tcp://127.0.0.1:5555", "transport.trajectories"),
                      ("transport.annotator_labels", "tcp://0.0.0.0:5557", "transport.annotator_requests"),
                      ("transport.weights", "ipc:///tmp/yendor-t", "transport.trajectories=ipc:///tmp/yendor-t")])
    func twoEndpointsOfOneRoleOnOnePlaceAreRefusedNamingBoth(_ key: String, _ endpoint: String, _ other: String) throws {
        var c = TrainingConfiguration()
        let sameAs = other.split(separator: "=").first.map(String.init) ?? other
        try table.apply(overrides: ["\(key)=\(endpoint)"] + (other.contains("=") ? [other] : []), to: &c)
        #expect { try c.validate() } throws: { ($0 as? ConfigurationError)?.field == key && "\($0)".contains(sameAs) }
        c.transport.weights = "tcp://*:5560"
        c.transport.annotatorLabels = "tcp://0.0.0.0:5558"
        try c.validate()
    }

    /// A whole number written with an exponent is one: YAML reads `1e9` as a float, and
    /// `total_steps: 1e9` was refused as "'1000000000.0' is not a non-negative integer" (trial T).
    @Test func aWholeNumberWithAnExponentSetsAnIntegerField() throws {
        var c = TrainingConfiguration()
        try table.apply(yaml: "run:\n  total_steps: 1e9\nenv:\n  envs: 1_024\n", source: "exp", to: &c)
        #expect(c.run.totalSteps == 1_000_000_000 && c.env.envsPerActor == 1024)
        try table.apply(overrides: ["run.total_steps=2.5e6"], to: &c)
        #expect(c.run.totalSteps == 2_500_000)
        for bad in ["1.5", "1e30", "-1e3", "nan"] {
            #expect(throws: ConfigurationError.self, "\(bad)") { try table.apply(overrides: ["run.total_steps=\(bad)"], to: &c) }
        }
    }

    /// A value where a section belongs is said to be that, not an unknown key (trial T).
    @Test func aValueWhereASectionBelongsIsSaidToBeOne() {
        var c = TrainingConfiguration()
        #expect { try table.apply(yaml: "learner: 5\n", source: "bad.yaml", to: &c) } throws: { error in
            guard let e = error as? ConfigurationError else { return false }
            return e.field == "learner" && "\(e)".contains("is a section, not a value") && "\(e)".contains("learner.batch_size")
        }
    }

    /// Trial C7: a budget below one batch ended "finished" with 0 updates and no word.
    @Test func aBudgetThatCannotFillOneBatchIsWarnedAbout() {
        var c = TrainingConfiguration()
        c.batchSize = 65_536
        c.run.totalSteps = 20_000
        #expect(c.budgetWarning(stepsTaken: 0)?.contains("the run will end before its first update") == true)
        #expect(c.budgetWarning(stepsTaken: 20_000) == nil)  // nothing left to train: nothing to say
        c.replay.maxTimesSampled = 4  // 80,000 samples from 20,000 steps
        #expect(c.budgetWarning(stepsTaken: 0) == nil)
        c.replay.maxTimesSampled = 1
        c.batchSize = 1024
        #expect(c.budgetWarning(stepsTaken: 0) == nil)
        // A resume with 500 steps left: one trajectory of 32 × 32 steps, taken whole, fills the batch.
        #expect(c.budgetWarning(stepsTaken: 19_500) == nil, "trajectories are taken whole (trial G)")
        c.env.envsPerActor = 4  // trajectories of 128 steps: 512 are taken
        #expect(c.budgetWarning(stepsTaken: 19_500) != nil)
        c.env.envsPerActor = 32
        c.env.kind = .server  // env servers decide how many envs a trajectory has: not counted on
        #expect(c.budgetWarning(stepsTaken: 19_500) != nil)
    }

    /// An item goes after `replay.max_times_sampled` draws: a ratio above it cannot hold (it was
    /// taken, and fell to 1 with hundreds of refused inserts, as `yendor replay --help` once showed).
    @Test func aSamplesPerInsertRatioAboveMaxTimesSampledIsRefusedSayingWhatToRaise() throws {
        var c = TrainingConfiguration()
        c.replay.samplesPerInsert = 4
        #expect { try c.validate() } throws: {
            ($0 as? ConfigurationError)?.field == "replay.samples_per_insert" && "\($0)".contains("raise replay.max_times_sampled to at least 4")
        }
        c.replay.maxTimesSampled = 4
        try c.validate()
    }

    @Test func resolvedYamlReadsBackToTheSameConfiguration() throws {
        var c = TrainingConfiguration()
        c.env.task = "oracle"
        c.learner.entropyCoefficient = 0.02
        c.transport.weights = "tcp://0.0.0.0:6000"
        c.env.serverArguments = CommandArguments(["--import=my_envs", "--caption=mission", "--env-arg=name=a \"b\": #1"])
        let yaml = table.yaml(c)
        var back = TrainingConfiguration()
        try table.apply(yaml: yaml, source: "resolved", to: &back)
        #expect(table.yaml(back) == yaml)
        #expect(back.env.task == "oracle" && back.learner.entropyCoefficient == 0.02)
        #expect(back.env.serverArguments == c.env.serverArguments)
        // Written as a YAML list, not a quoted string of JSON.
        #expect(yaml.contains(#"  server_arguments: ["--import=my_envs","--caption=mission","--env-arg=name=a \"b\": #1"]"#), "\(yaml)")
    }

    @Test func onlyATaskThatCanBeWonHasASuccessRate() {
        var c = TrainingConfiguration()
        for (task, wins) in ["score": false, "staircase": true, "staircase-lvl3": true, "keyroom": true, "oracle": true] {
            c.env.task = task
            #expect(c.taskDefinesSuccess == wins, "dungeon \(task)")
        }
        c.env.kind = .nle
        for (task, wins) in ["score": false, "gold": false, "eat": false, "scout": false, "challenge": false,
                             "staircase": true, "pet": true, "oracle": true, "staircase-lvl3-extended": true] {
            c.env.task = task
            #expect(c.taskDefinesSuccess == wins, "nle \(task)")
        }
        // An env server's episodes carry the env's own word on success.
        c.env.kind = .server
        c.env.task = "score"
        #expect(c.taskDefinesSuccess)
    }
}
