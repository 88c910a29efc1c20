import Foundation
import Testing
import YendorTestSupport

/// cluster/kubernetes: every manifest is valid against the Kubernetes schemas (offline, strict),
/// and what the manifests ask of `yendor` (roles, options, ports, probes) exists in the CLI.
extension ClusterSuite {
@Suite("Kubernetes manifests")
struct KubernetesManifestTests {
    struct Summary: Decodable {
        var kubernetesVersion: String
        var errors: [String]
        var documents: [Document]
    }
    struct Document: Decodable {
        var file: String
        var kind: String
        var name: String
        var containers: [Container]
        var servicePorts: [ServicePort]?
    }
    struct Container: Decodable {
        var name: String
        var image: String
        var command: [String]
        var args: [String]
        var ports: [String: Int]
        var probes: [[String]]
        /// Paths the container gets from Secret volumes (mount directories and their files).
        var secretFiles: [String]
    }
    struct ServicePort: Decodable {
        var name: String
        var port: Int
        var targetPort: String
    }

    /// The validator's summary, or nil (with the reason printed) when kubernetes-validate is missing.
    static func summary() async throws -> Summary? {
        let p = try ChildProcess(executable: URL(fileURLWithPath: "/usr/bin/env"),
                                 arguments: ["python3", ClusterFixtures.repository.appendingPathComponent("cluster/kubernetes/validate.py").path])
        defer { p.kill() }
        let status = await p.waitForExit(timeout: 600)
        let output = p.lines.joined(separator: "\n")
        if status == 77 {
            print("KubernetesManifestTests: skipped, \(output) — install it with scripts/install-deps.sh")
            return nil
        }
        #expect(status == 0 || status == 1, "validate.py failed: \(p.standardError.suffix(2000))")
        return try JSONDecoder().decode(Summary.self, from: Data(output.utf8))
    }

    /// `yendor config`'s keys as `section.key` → value, e.g. `transport.weights` → `"tcp://0.0.0.0:5556"`.
    static func configurationKeys() async throws -> [String: String] {
        let config = try await ClusterFixtures.yendor(["config"])
        var section = "", keys: [String: String] = [:]
        for line in config.output.split(separator: "\n") {
            let text = line.split(separator: "#", maxSplits: 1).first.map(String.init) ?? ""
            if !text.hasPrefix(" "), text.hasSuffix(":") { section = String(text.dropLast()); continue }
            let parts = text.trimmingCharacters(in: .whitespaces).split(separator: ":", maxSplits: 1)
            guard parts.count == 2 else { continue }
            keys["\(section).\(parts[0])"] = parts[1].trimmingCharacters(in: .whitespaces).trimmingCharacters(in: CharacterSet(charactersIn: "\""))
        }
        return keys
    }

    static func port(of endpoint: String?) -> Int? { endpoint?.split(separator: ":").last.flatMap { Int($0) } }

    /// The CURVE settings in a command line, by configuration key (`transport.curve_secret_key_file`, …),
    /// whether given as the annotator's own flags or as `--set KEY=VALUE`; also `reward.annotator`,
    /// which makes the learner a client of the annotator.
    static func curveSettings(_ arguments: [String]) -> [String: String] {
        let flags = ["--curve-secret-key-file": "transport.curve_secret_key_file",
                     "--curve-allowed-clients": "transport.curve_allowed_clients"]
        var settings: [String: String] = [:]
        var pairs: [(String, String)] = []
        var index = arguments.startIndex
        while index < arguments.endIndex {
            let parts = arguments[index].split(separator: "=", maxSplits: 1).map(String.init)
            if parts.count == 2 { pairs.append((parts[0], parts[1])) }
            else if index + 1 < arguments.endIndex { pairs.append((parts[0], arguments[index + 1])); index += 1 }
            index += 1
        }
        for (option, value) in pairs {
            if let key = flags[option] { settings[key] = value; continue }
            guard option == "--set" else { continue }
            let keyValue = value.split(separator: "=", maxSplits: 1).map(String.init)
            if keyValue.count == 2, keyValue[0].hasPrefix("transport.curve_") || keyValue[0] == "reward.annotator" {
                settings[keyValue[0]] = keyValue[1]
            }
        }
        return settings
    }

    @Test func everyManifestIsValidAgainstTheKubernetesSchemas() async throws {
        guard let summary = try await Self.summary() else { return }
        #expect(summary.errors.isEmpty, "\(summary.errors.joined(separator: "\n"))")
        let kinds = Set(summary.documents.map(\.kind))
        for kind in ["StatefulSet", "Deployment", "Service", "ConfigMap", "Secret", "PersistentVolumeClaim"] {
            #expect(kinds.contains(kind), "no \(kind) among the manifests")
        }
    }

    /// No data crosses the cluster network in clear: every role that binds a port runs as a CURVE
    /// server with an allow-list, every client (workers, probes, the learner towards the annotator)
    /// names the key of the server it connects to, and every key path is a file mounted from a Secret.
    @Test func everyRoleAndProbeInTheManifestsUsesCURVE() async throws {
        guard let summary = try await Self.summary() else { return }
        var containersChecked = 0
        for document in summary.documents {
            for container in document.containers where container.command == ["yendor"] {
                containersChecked += 1
                let place = "\(document.file) \(document.kind)/\(document.name)"
                let role = container.args.first ?? "?"
                let settings = Self.curveSettings(Array(container.args.dropFirst()))
                func requireFile(_ key: String, in settings: [String: String], _ subject: String) {
                    guard let path = settings[key] else {
                        Issue.record("\(subject): CURVE is incomplete, \(key) is not set")
                        return
                    }
                    #expect(container.secretFiles.contains(path), "\(subject): \(key)=\(path) is not mounted from a Secret")
                }
                requireFile("transport.curve_secret_key_file", in: settings, place)
                // The Prometheus port is plain HTTP (metrics only); every ZeroMQ port needs the allow-list.
                let zeroMQPorts = container.ports.keys.filter { $0 != "metrics" }
                if !zeroMQPorts.isEmpty {
                    requireFile("transport.curve_allowed_clients", in: settings, "\(place) (binds \(zeroMQPorts.sorted()))")
                }
                if role == "worker" { requireFile("transport.curve_server_key", in: settings, place) }
                if settings["reward.annotator"] != nil { requireFile("transport.curve_annotator_key", in: settings, place) }
                for probe in container.probes {
                    let probeSettings = Self.curveSettings(Array(probe.dropFirst(3)))
                    requireFile("transport.curve_secret_key_file", in: probeSettings, "\(place) probe \(probe.prefix(3).joined(separator: " "))")
                    requireFile("transport.curve_server_key", in: probeSettings, "\(place) probe \(probe.prefix(3).joined(separator: " "))")
                }
            }
        }
        #expect(containersChecked >= 3, "only \(containersChecked) yendor containers in the manifests")
    }

    @Test func curveSettingsAreReadFromFlagsAndSetOptions() {
        let settings = Self.curveSettings(["--curve-secret-key-file=/k/server.key", "--curve-allowed-clients", "/allowed",
                                           "--set=transport.curve_server_key=/k/server.pub", "--set", "reward.annotator=host",
                                           "--set=run.total_steps=5"])
        #expect(settings == ["transport.curve_secret_key_file": "/k/server.key", "transport.curve_allowed_clients": "/allowed",
                             "transport.curve_server_key": "/k/server.pub", "reward.annotator": "host"])
    }

    @Test func portsProbesAndArgumentsMatchTheCLI() async throws {
        guard let summary = try await Self.summary() else { return }
        let keys = try await Self.configurationKeys()
        #expect(keys["transport.weights"] != nil, "could not read `yendor config`")
        let expectedPorts: [String: [String: Int?]] = [
            "learner": ["trajectories": Self.port(of: keys["transport.trajectories"]), "weights": Self.port(of: keys["transport.weights"])],
            "annotator": ["requests": Self.port(of: keys["transport.annotator_requests"]), "labels": Self.port(of: keys["transport.annotator_labels"])],
        ]
        var helpCache: [String: String?] = [:]
        func help(_ subcommand: String) async throws -> String? {
            if let cached = helpCache[subcommand] { return cached }
            let result = try await ClusterFixtures.yendor([subcommand, "--help"])
            // An unknown subcommand prints the top-level help, so look for the subcommand's own usage line.
            var text = result.status == 0 && result.output.contains("USAGE: yendor \(subcommand)") ? result.output : nil
            // A group with a default subcommand (`annotator` runs `serve`): the options are the default's.
            if let group = text, let line = group.split(separator: "\n").first(where: { $0.hasSuffix("(default)") || $0.contains(" (default) ") }),
               let name = line.split(separator: " ").first {
                let inner = try await ClusterFixtures.yendor(subcommand.split(separator: " ").map(String.init) + [String(name), "--help"])
                text = inner.status == 0 ? inner.output : nil
            }
            helpCache[subcommand] = text
            return text
        }
        /// Every `--option` (and every `--set` key) in `arguments` exists for `subcommand`.
        func checkOptions(_ arguments: [String], of subcommand: String, in place: String) async throws {
            guard let text = try await help(subcommand) else {
                print("KubernetesManifestTests: `yendor \(subcommand)` is not in this build; its arguments in \(place) are unchecked")
                return
            }
            for argument in arguments where argument.hasPrefix("--") {
                let parts = argument.split(separator: "=", maxSplits: 1).map(String.init)
                #expect(text.contains(parts[0] + " ") || text.contains(parts[0] + "\n"), "\(place): `yendor \(subcommand)` has no option \(parts[0])")
                if parts[0] == "--set", parts.count == 2 {
                    let key = String(parts[1].split(separator: "=").first ?? "")
                    #expect(keys[key] != nil, "\(place): --set \(key) is not a configuration key (`yendor config`)")
                }
            }
        }

        var rolesSeen: Set<String> = []
        for document in summary.documents {
            for container in document.containers where container.command == ["yendor"] {
                let place = "\(document.file) \(document.kind)/\(document.name)"
                guard let role = container.args.first else { Issue.record("\(place): no role in args"); continue }
                rolesSeen.insert(role)
                try await checkOptions(Array(container.args.dropFirst()), of: role, in: place)
                // Ports: named like the endpoints, numbered like `yendor config`'s defaults.
                for (name, port) in expectedPorts[role] ?? [:] {
                    #expect(container.ports[name] == port, "\(place): port \(name) is \(container.ports[name].map(String.init) ?? "missing"), the CLI default is \(port.map(String.init) ?? "?")")
                }
                for argument in container.args where argument.hasPrefix("--requests=") || argument.hasPrefix("--labels=") {
                    let name = argument.hasPrefix("--requests=") ? "requests" : "labels"
                    #expect(Self.port(of: argument) == container.ports[name], "\(place): \(argument) does not bind the container port \(name)")
                }
                // Probes call `yendor health ROLE` with options it has.
                for probe in container.probes {
                    #expect(Array(probe.prefix(2)) == ["yendor", "health"], "\(place): probe \(probe) does not call yendor health")
                    #expect(probe.count > 2 && ["learner", "annotator", "worker"].contains(probe[2]), "\(place): probe \(probe) checks no known role")
                    try await checkOptions(Array(probe.dropFirst(3)), of: "health", in: "\(place) probe")
                    if let endpoint = probe.first(where: { $0.hasPrefix("--endpoint=") }) {
                        let probed = probe[2] == "annotator" ? keys["transport.annotator_labels"] : keys["transport.weights"]
                        #expect(Self.port(of: endpoint) == Self.port(of: probed), "\(place): probe \(endpoint) is not the \(probe[2])'s PUB port")
                    }
                }
                #expect(!container.probes.isEmpty, "\(place): no probe")
            }
            // Services point at named container ports that exist and keep the same numbers.
            for servicePort in document.servicePorts ?? [] {
                let targets = summary.documents.flatMap(\.containers).compactMap { $0.ports[servicePort.targetPort] }
                #expect(targets.contains(servicePort.port), "\(document.file) Service/\(document.name): port \(servicePort.name) targets no container port \(servicePort.port)")
            }
        }
        #expect(rolesSeen.isSuperset(of: ["learner", "worker", "annotator"]), "roles in manifests: \(rolesSeen.sorted())")
    }
}
}
