extension PromptSet {
    /// Prompts in the answer format of ONI's own prompts (Zheng et al., 2024), reworded for
    /// Yendor: the model writes its knowledge of NetHack and a one-sentence analysis in tags,
    /// then `<label>FOO</label>` for an extremely helpful message or `<label>BAR</label>` for an
    /// unhelpful, neutral or lukewarm one; a ranking ends in `("best_description": 1)`, `2` or
    /// `None`. Choose it with `--prompt-set oni` to compare a model under ONI's format with the
    /// same model under Yendor's (`LabelParser` reads both).
    ///
    /// Why FOO and BAR: ONI uses meaningless label words so that a model's prior for the words
    /// "helpful" or "yes" does not bias the answer; the definitions carry the meaning.
    public static let oni = PromptSet(
        version: "oni-format-1",
        classification: """
            Context: I am playing NetHack, and I will show you one message the game printed \
            during play.

            Instruction: First, state what you know about NetHack and its goal. Then analyse \
            what the message means, using that knowledge. Finally, label the message by whether \
            the event or state it reports is helpful for making progress towards the goal below. \
            "Helpful" does not mean informative for the player's decisions; it means the event \
            itself brings the agent closer to the goal.
            The goal: {goal}
            Give the label FOO to extremely helpful messages. Give the label BAR to unhelpful, \
            neutral and lukewarm messages.

            The message: "{caption}"

            Constraint: answer strictly in this format, with nothing else:
            <knowledge> [what you know about NetHack] </knowledge>
            <analysis> [one sentence on the message] </analysis>
            <label> [FOO or BAR] </label>
            """,
        ranking: """
            Context: I am playing NetHack, and I will show you two messages the game printed \
            during play.

            Instruction: First, state what you know about NetHack and its goal. Then describe \
            what each message means, using only the messages (either may be empty) and your \
            knowledge of NetHack, and compare them. Finally, declare which message is the more \
            likely to show progress towards the goal below.
            The goal: {goal}

            {
            "description_1":
            "{first}"
            }

            {
            "description_2":
            "{second}"
            }

            End your answer with ("best_description": 1) or ("best_description": 2), or \
            ("best_description": None) if neither shows more progress.
            """,
        goals: [
            "score": "maximise the in-game score: kill monsters, gain experience levels, collect gold and valuable items, and go down the stairs to deeper levels.",
            "gold": "collect as much gold as possible. Other progress (killing monsters, gaining levels, going deeper) does not count.",
            "combat": "fight and kill monsters and gain experience. Collecting gold or going deeper does not count.",
            "stairs": "find the staircase down and go down it, level after level. Killing monsters or collecting gold does not count.",
            "oracle": "reach the Oracle, who lives on one of dungeon levels 5 to 9: go deeper and explore to find her. Killing monsters or collecting gold does not count.",
        ],
        customGoal: "{text}",
        answerFormat: .oniTags
    )
}
