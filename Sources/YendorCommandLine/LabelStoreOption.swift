import ArgumentParser

/// `--store`: the annotator's label store, for `annotator serve`, `export` and `import`.
struct LabelStoreOption: ParsableArguments {
    @Option(help: "Label store (SQLite file shared across runs; serve and import create it if absent).")
    var store: String = "annotator-labels.sqlite"
}

/// `--store` and the JSON-lines file of `annotator export` and `import`.
struct LabelFileOptions: ParsableArguments {
    @OptionGroup var labelStore: LabelStoreOption

    @Argument(help: "The JSON-lines file (export replaces it whole).")
    var file: String

    var store: String { labelStore.store }
}
