import ArgumentParser

/// `--store`: the annotator's label store, for `annotator serve`, `export` and `import`.
struct LabelStoreOption: ParsableArguments {
    @Option(help: "Label store (SQLite file, created if absent, shared across runs).")
    var store: String = "annotator-labels.sqlite"
}
