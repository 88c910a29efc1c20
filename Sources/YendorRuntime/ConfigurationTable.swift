import Foundation
import Yams

/// Maps dotted keys (`learner.learning_rate`) to fields of a configuration struct, so a YAML file,
/// `--set key=value` overrides and dedicated flags all go through one parser that names the field on
/// every error and rejects unknown keys (a typo never silently does nothing).
public struct ConfigurationTable<Root>: Sendable {
    public struct Field: Sendable {
        public let key: String
        public let help: String
        /// The Swift property path the key sets below the root (`learner.learningRate`), whose last
        /// components a component's own validation names; empty for a computed property.
        let property: String
        let apply: @Sendable (inout Root, String) throws -> Void
        let read: @Sendable (Root) -> String
    }

    public private(set) var fields: [Field] = []

    public init() {}

    /// `property` names a computed property's path, which Swift cannot describe.
    public mutating func add<V: ConfigValue>(_ key: String, _ path: WritableKeyPath<Root, V> & Sendable, _ help: String, property: String? = nil) {
        fields.append(Field(key: key, help: help, property: property ?? Self.property(path), apply: { root, text in
            guard let v = V(configText: text) else {
                throw ConfigurationError(field: key, problem: "'\(text)' is not \(V.configTypeName)")
            }
            root[keyPath: path] = v
        }, read: { $0[keyPath: path].configText }))
    }

    public mutating func add<V: ConfigValue>(_ key: String, _ path: WritableKeyPath<Root, V?> & Sendable, _ help: String) {
        fields.append(Field(key: key, help: help, property: Self.property(path), apply: { root, text in
            if text == "null" || text == "~" || text.isEmpty { root[keyPath: path] = nil; return }
            guard let v = V(configText: text) else {
                throw ConfigurationError(field: key, problem: "'\(text)' is not \(V.configTypeName)")
            }
            root[keyPath: path] = v
        }, read: { $0[keyPath: path]?.configText ?? "null" }))
    }

    /// A key path's description below the root (`\\Root.learner.learningRate` → `learner.learningRate`);
    /// empty for a computed property, which Swift describes as `<computed 0x… (Float)>`.
    private static func property(_ path: AnyKeyPath) -> String {
        let components = String(describing: path).split(separator: ".").dropFirst()
        return components.contains { $0.contains("<") } ? "" : components.joined(separator: ".")
    }

    /// `message` with each Swift property a field sets replaced by the field's key: components
    /// validate their own configuration and name their properties (`coreWidth`, or with the struct
    /// it is in, `retrieval.maxLabels`); a user reads the keys. A dotted word is replaced whole when
    /// its longest trailing part that one field's property path ends with names it. `sections`
    /// limits the fields to keys under those sections (a replay error's `capacity` is
    /// `replay.capacity`, not another section's). Also returns the first key named, if any.
    public func withKeys(_ message: String, sections: [String]? = nil) -> (text: String, firstKey: String?) {
        var owners: [String: [String]] = [:]
        for f in fields where !f.property.isEmpty {
            if let sections, !sections.contains(where: { f.key.hasPrefix($0 + ".") }) { continue }
            let components = f.property.split(separator: ".")
            for start in components.indices { owners[components[start...].joined(separator: "."), default: []].append(f.key) }
        }
        let words = message.matches(of: /[A-Za-z][A-Za-z0-9]*(?:\.[A-Za-z][A-Za-z0-9]*)*/).compactMap { word -> (range: Range<String.Index>, key: String)? in
            let components = word.output.split(separator: ".")
            for start in components.indices {
                if let keys = owners[components[start...].joined(separator: ".")] { return keys.count == 1 ? (word.range, keys[0]) : nil }
            }
            return nil
        }
        var text = message
        for w in words.reversed() { text.replaceSubrange(w.range, with: w.key) }
        return (text, words.first?.key)
    }

    /// Sets one field from text; `source` names where the text came from.
    public func set(_ key: String, _ text: String, in root: inout Root, source: String) throws {
        guard let field = fields.first(where: { $0.key == key }) else {
            // `learner: 5`: a value where a section belongs (it was said to be an unknown key, trial T).
            let inSection = fields.map(\.key).filter { $0.hasPrefix(key + ".") }
            if !inSection.isEmpty {
                throw ConfigurationError(field: key, problem: "is a section, not a value: set its fields (\(inSection.joined(separator: ", ")))", source: source)
            }
            let close = fields.map(\.key).filter { $0.hasPrefix(key.split(separator: ".").first.map(String.init) ?? "") }
            let hint = close.isEmpty ? "" : " (fields in that section: \(close.joined(separator: ", ")))"
            throw ConfigurationError(field: key, problem: "unknown configuration key\(hint)", source: source)
        }
        do {
            try field.apply(&root, text)
        } catch let e as ConfigurationError {
            throw ConfigurationError(field: e.field, problem: e.problem, source: source)
        }
    }

    /// Applies `key=value` overrides.
    public func apply(overrides: [String], to root: inout Root) throws {
        for item in overrides {
            guard let eq = item.firstIndex(of: "=") else {
                throw ConfigurationError(field: item, problem: "expected key=value", source: "--set")
            }
            try set(String(item[..<eq]), String(item[item.index(after: eq)...]), in: &root, source: "--set")
        }
    }

    /// Applies a YAML document (nested mappings of the dotted keys).
    public func apply(yaml text: String, source: String, to root: inout Root) throws {
        let node: Any?
        do {
            node = try Yams.load(yaml: text)
        } catch {
            // The parser's context can quote the whole document (11.8 MB for a 10 MB file, trial C7).
            let text = "\(error)"
            throw ConfigurationError(field: source, problem: "not valid YAML: \(text.count > 1000 ? text.prefix(1000) + "… (cut)" : text)", source: source)
        }
        guard let node else { return }
        guard let mapping = node as? [String: Any] else {
            throw ConfigurationError(field: source, problem: "the top level must be a mapping", source: source)
        }
        for (key, value) in flatten(mapping, prefix: "") {
            try set(key, value, in: &root, source: source)
        }
    }

    public func apply(yamlFile path: String, to root: inout Root) throws {
        var isDirectory: ObjCBool = false
        let exists = FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory)
        let data: Data
        do {
            guard exists, !isDirectory.boolValue else { throw CocoaError(.fileReadNoSuchFile) }
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            // Foundation's own text for a directory is "NSCocoaErrorDomain error 256".
            let reason = !exists ? "there is no such file" : isDirectory.boolValue ? "it is a directory" : (error as NSError).localizedDescription
            throw ConfigurationError(field: path, problem: "cannot read the configuration file: \(reason)", source: path)
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw ConfigurationError(field: path, problem: "the configuration file is not UTF-8 text (a YAML file is)", source: path)
        }
        try apply(yaml: text, source: path, to: &root)
    }

    /// The resolved configuration as YAML, every field, in table order (written to the run directory).
    public func yaml(_ root: Root) -> String {
        var out = ""
        var section = ""
        for f in fields {
            let parts = f.key.split(separator: ".")
            let top = parts.count > 1 ? String(parts[0]) : ""
            if top != section {
                section = top
                if !top.isEmpty { out += "\(top):\n" }
            }
            let indent = top.isEmpty ? "" : "  "
            let name = top.isEmpty ? f.key : parts.dropFirst().joined(separator: ".")
            out += "\(indent)\(name): \(quoted(f.read(root)))  # \(f.help)\n"
        }
        return out
    }

    public func value(_ key: String, in root: Root) -> String? { fields.first { $0.key == key }?.read(root) }

    private func quoted(_ s: String) -> String {
        // A JSON list of strings (`CommandArguments`) is a YAML flow sequence as it is.
        if s.hasPrefix("["), s.hasSuffix("]"), CommandArguments(configText: s) != nil { return s }
        if s.isEmpty || s.contains(":") || s.contains("#") || s.hasPrefix(" ") || s.contains("\"") {
            return "\"" + s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
        }
        return s
    }

    private func flatten(_ mapping: [String: Any], prefix: String) -> [(String, String)] {
        var out: [(String, String)] = []
        for (k, v) in mapping.sorted(by: { $0.key < $1.key }) {
            let key = prefix.isEmpty ? k : "\(prefix).\(k)"
            if let nested = v as? [String: Any] {
                out += flatten(nested, prefix: key)
            } else if v is NSNull {
                out.append((key, "null"))
            } else {
                out.append((key, "\(v)"))
            }
        }
        return out
    }
}

/// Types a configuration field can have.
public protocol ConfigValue: Sendable {
    init?(configText: String)
    var configText: String { get }
    static var configTypeName: String { get }
}

/// An enum field, written as its raw value; a wrong value's error lists the cases.
public protocol ConfigEnum: ConfigValue, RawRepresentable, CaseIterable where RawValue == String {}

extension ConfigEnum {
    public init?(configText: String) { self.init(rawValue: configText) }
    public var configText: String { rawValue }
    public static var configTypeName: String { "one of " + allCases.map(\.rawValue).joined(separator: ", ") }
}

/// Integers accept `_` separators (`1_000_000`), as Swift and YAML do, and a whole number written
/// with an exponent (`1e9`, which YAML reads as a float: it was refused as '1000000000.0', trial T).
extension ConfigValue where Self: FixedWidthInteger {
    public init?(configText: String) {
        let text = configText.replacingOccurrences(of: "_", with: "")
        if let value = Self(text) {
            self = value
        } else if let number = Double(text), number.isFinite, number == number.rounded(), let value = Self(exactly: number) {
            self = value
        } else {
            return nil
        }
    }
    public var configText: String { String(self) }
    public static var configTypeName: String { isSigned ? "an integer" : "a non-negative integer" }
}

extension Int: ConfigValue {}
extension UInt64: ConfigValue {}

// `nan` and `inf` parse as numbers but mean nothing as a setting (and trap where one becomes a
// duration or a count), so they are refused here, for every field at once.
extension ConfigValue where Self: BinaryFloatingPoint & LosslessStringConvertible {
    public init?(configText: String) {
        guard let value = Self(configText), value.isFinite else { return nil }
        self = value
    }
    public var configText: String { description }
    public static var configTypeName: String { "a finite number" }
}

extension Double: ConfigValue {}
extension Float: ConfigValue {}

extension Bool: ConfigValue {
    public init?(configText: String) {
        switch configText.lowercased() {
        case "true", "yes", "on", "1": self = true
        case "false", "no", "off", "0": self = false
        default: return nil
        }
    }
    public var configText: String { self ? "true" : "false" }
    public static var configTypeName: String { "true or false" }
}

extension String: ConfigValue {
    public init?(configText: String) { self = configText }
    public var configText: String { self }
    public static var configTypeName: String { "a string" }
}

/// A program's command-line arguments, written as a JSON array (`["--caption=mission",
/// "--import=my_envs"]`); a YAML sequence of strings reads the same.
public struct CommandArguments: ConfigValue, Equatable {
    public var list: [String]

    public init(_ list: [String] = []) { self.list = list }

    public init?(configText: String) {
        guard let list = (try? JSONSerialization.jsonObject(with: Data(configText.utf8))) as? [String] else { return nil }
        self.list = list
    }
    public var configText: String {
        let data = (try? JSONSerialization.data(withJSONObject: list, options: [.withoutEscapingSlashes])) ?? Data("[]".utf8)
        return String(decoding: data, as: UTF8.self)
    }
    public static var configTypeName: String { "a JSON list of strings" }
}

extension Int64: ConfigValue {
    public init?(configText: String) { self.init(configText.replacingOccurrences(of: "_", with: "")) }
    public var configText: String { String(self) }
    public static var configTypeName: String { "an integer" }
}

extension Array: ConfigValue where Element == Int {
    /// Comma-separated integers, e.g. `16,16`.
    public init?(configText: String) {
        let parts = configText.trimmingCharacters(in: CharacterSet(charactersIn: "[] ")).split(separator: ",")
        var values: [Int] = []
        for p in parts {
            guard let v = Int(p.trimmingCharacters(in: .whitespaces)) else { return nil }
            values.append(v)
        }
        self = values
    }
    public var configText: String { map(String.init).joined(separator: ",") }
    public static var configTypeName: String { "a comma-separated list of integers" }
}
