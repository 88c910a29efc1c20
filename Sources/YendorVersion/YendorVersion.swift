/// Which Yendor this is: said by `yendor --version`, in each role's log as it starts, and in a
/// worker's and an annotator's Hello, so that the learner's log names what each peer runs (a
/// rolling upgrade mixes binaries that speak the same wire protocol).
public enum YendorVersion {
    /// The release, as `python/pyproject.toml` has it for the env-server package.
    public static let release = "0.1.0"
    /// The commit the binary was built from (`git describe --always --dirty`; "unknown" when it was
    /// built outside a git checkout).
    public static let commit = buildCommit
    /// "0.1.0 (commit 4f7afe4a1b2c)".
    public static var description: String { "\(release) (commit \(commit))" }
    /// The Hello capability that carries `description`.
    public static let capability = "version"
}
