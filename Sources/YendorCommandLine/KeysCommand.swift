import ArgumentParser
import Foundation
import YendorRuntime
import ZeroMQ

/// `yendor keys generate`: CURVE key pairs for encrypting and authenticating traffic between nodes.
struct KeysCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keys", abstract: "CURVE key management.", subcommands: [Generate.self])

    struct Generate: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write a CURVE key pair: NAME.key (secret, mode 600) and NAME.pub (public).")

        @Option(help: "Directory to write the key files into.")
        var directory: String = "."

        @Argument(help: "Base name of the key files, e.g. learner or worker-node3.")
        var name: String

        func validate() throws {
            // A name is a file's base name: a path would land the secret key somewhere unexpected.
            guard !name.isEmpty, !name.contains("/"), name != ".", name != "..", !name.hasPrefix(".") else {
                throw ValidationError("NAME '\(name)' must be a plain file name (no '/', not empty, not starting with '.'); choose the folder with --directory")
            }
        }

        func run() throws {
            let pair = try CurveKeyPair.generate()
            let dir = URL(fileURLWithPath: directory)
            do { try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true) } catch {
                throw RunDirectory.Unwritable(directory, error)
            }
            let secretURL = dir.appendingPathComponent("\(name).key")
            let publicURL = dir.appendingPathComponent("\(name).pub")
            guard !FileManager.default.fileExists(atPath: secretURL.path) else {
                throw ValidationError("\(secretURL.path) exists; refusing to overwrite a secret key")
            }
            guard FileManager.default.createFile(atPath: secretURL.path, contents: Data((pair.secretKey + "\n").utf8),
                                                 attributes: [.posixPermissions: 0o600]) else {
                throw ValidationError("cannot write the secret key to \(secretURL.path)")
            }
            try Data((pair.publicKey + "\n").utf8).write(to: publicURL)
            print("wrote \(secretURL.path) (secret) and \(publicURL.path) (public: \(pair.publicKey))")
        }
    }
}
