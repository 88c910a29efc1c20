import Foundation
import Testing
@testable import YendorAnnotator

@Suite struct PromptSetTests {
    /// Every prompt set a user can choose (`--prompt-set`, `reward.llm_prompt_set`) exists, and the
    /// choice reaches the OpenAI labeler's configuration.
    @Test(arguments: LabelerChoice.Prompts.allCases)
    func everySelectablePromptSetIsBuiltIn(prompts: LabelerChoice.Prompts) throws {
        let set = try #require(PromptSet.named(prompts.rawValue))
        var choice = LabelerChoice()
        choice.kind = .openai
        choice.llmURL = "http://127.0.0.1:9/v1"
        choice.model = "m"
        choice.prompts = prompts
        guard case .openai(let server) = try choice.backend() else { Issue.record("not an openai backend"); return }
        #expect(server.prompts.version == set.version)
    }

    /// The API key variable is read only where a server is asked: the lexicon with a URL and key
    /// variable left in its settings needs neither; the openai labeler is refused under the key.
    @Test func anUnsetKeyVariableRefusesOnlyALabelerThatAsksAServer() throws {
        var choice = LabelerChoice()
        choice.llmURL = "http://127.0.0.1:9/v1"
        choice.model = "m"
        choice.apiKeyEnvironmentVariable = "YENDOR_TEST_NO_SUCH_KEY"
        choice.kind = .lexicon
        _ = try choice.backend()
        for kind in [LabelerKind.openai, .simulated] {
            choice.kind = kind
            #expect(throws: AnnotatorError.invalidConfiguration(field: "llm_api_key_env", reason: "names the environment variable YENDOR_TEST_NO_SUCH_KEY, which is not set in this process")) {
                try choice.backend()
            }
        }
    }

    @Test(arguments: [Goal.score, .gold, .combat, .stairs, .oracle, .custom("open every door you meet")])
    func everyGoalVariantRendersItsDescriptionAndTheCaption(goal: Goal) {
        let prompts = PromptSet.builtIn
        let text = prompts.render(.classify("You kill the jackal!", goal: goal))
        #expect(text.contains(prompts.describe(goal)))
        #expect(text.contains("\"You kill the jackal!\""))
        #expect(text.contains("Answer: not helpful"))
        #expect(!text.contains("{"))
    }

    @Test func customGoalTextIsUsedVerbatim() {
        #expect(PromptSet.builtIn.describe(.custom("open every door")) == "open every door")
    }

    @Test func rankingPromptNamesBothCaptionsInOrder() {
        let text = PromptSet.builtIn.render(.rank("You miss.", "You kill the newt!", goal: .combat))
        let a = text.range(of: "Caption A: \"You miss.\"")
        let b = text.range(of: "Caption B: \"You kill the newt!\"")
        #expect(a != nil && b != nil)
        if let a, let b { #expect(a.lowerBound < b.lowerBound) }
    }

    /// Placeholders were replaced one after another, so a first caption holding `{second}` got the
    /// second caption, and a custom goal holding `{caption}` got the caption.
    @Test func captionsAndGoalsHoldingPlaceholdersAreInsertedAsTheyAre() {
        let ranked = PromptSet.builtIn.render(.rank("a {second}", "b", goal: .custom("find {first}")))
        #expect(ranked.contains("Caption A: \"a {second}\"") && ranked.contains("Caption B: \"b\""), "\(ranked)")
        #expect(ranked.contains("find {first}"), "\(ranked)")
        let classified = PromptSet.builtIn.render(.classify("You see {goal} here.", goal: .custom("say {caption}")))
        #expect(classified.contains("You see {goal} here.") && classified.contains("say {caption}"), "\(classified)")
        #expect(PromptSet.fill("{a}{b} {unknown} {", ["a": "1", "b": "{a}"]) == "1{a} {unknown} {")
    }

    @Test func builtInPromptsValidate() throws {
        try PromptSet.builtIn.validate()
    }

    @Test func builtInPromptsLetAModelReasonThenAnswerOnItsOwnLastLine() throws {
        let prompts = PromptSet.builtIn
        let classify = prompts.render(.classify("You kill the jackal!", goal: .combat))
        let rank = prompts.render(.rank("You miss.", "You kill the newt!", goal: .combat))
        for text in [classify, rank] {
            #expect(text.contains("reason step by step"))
            #expect(text.contains("on its own last line"))
            #expect(!text.contains("briefly if you need to"))  // version 1, cut off at 64 tokens
        }
        // Every answer line the prompts show parses as its label.
        #expect(LabelParser.classification("Answer: helpful") == .helpful)
        #expect(LabelParser.classification("Answer: not helpful") == .notHelpful)
        #expect(LabelParser.ranking("Answer: tie") == .tie)
        #expect(prompts.version == "yendor-prompts-2")
        // Room for a reasoning model to finish: a few hundred tokens, not 64.
        let configuration = OpenAILabeler.Configuration(baseURL: URL(string: "http://127.0.0.1:1/v1")!, model: "m")
        #expect(configuration.maxTokens >= 256)
    }

    @Test func overrideFileReplacesTextAndKeepsTheRest() throws {
        let directory = try temporaryDirectory()
        let file = directory.appendingPathComponent("prompts.json")
        try Data(#"{"version": "mine-2", "goals": {"gold": "hoard gold"}}"#.utf8).write(to: file)
        let prompts = try PromptSet.load(from: file)
        #expect(prompts.version == "mine-2")
        #expect(prompts.describe(.gold) == "hoard gold")
        #expect(prompts.classification == PromptSet.builtIn.classification)
    }

    @Test func overrideWithoutVersionIsRejectedNamingTheField() throws {
        let file = try temporaryDirectory().appendingPathComponent("prompts.json")
        try Data(#"{"classification": "{goal} {caption}"}"#.utf8).write(to: file)
        #expect(throws: AnnotatorError.invalidConfiguration(field: "version", reason: "a prompt file must set its own version")) {
            try PromptSet.load(from: file)
        }
    }

    @Test func overrideMissingAPlaceholderIsRejectedNamingTheField() throws {
        let file = try temporaryDirectory().appendingPathComponent("prompts.json")
        try Data(#"{"version": "x", "ranking": "{goal} {first}"}"#.utf8).write(to: file)
        #expect(throws: AnnotatorError.invalidConfiguration(field: "ranking", reason: "missing placeholder {second}")) {
            try PromptSet.load(from: file)
        }
    }
}
