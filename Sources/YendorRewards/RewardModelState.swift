import Foundation
import YendorNN

/// A reward model's saved state: named f32 tensors plus a small JSON document.
///
/// Tensor names start with "rewards." so they can share a checkpoint file with the
/// learner's own tensors; `metadata` is JSON the model wrote and reads back.
public struct RewardModelState: Sendable, Equatable {
    /// Weights, optimiser moments and numeric buffers.
    public var tensors: [NamedTensor]
    /// JSON with the model name, labels, counters and generator states.
    public var metadata: Data

    public init(tensors: [NamedTensor], metadata: Data) {
        self.tensors = tensors
        self.metadata = metadata
    }

    /// The tensors by name, for loading.
    var tensorsByName: [String: NamedTensor] {
        Dictionary(tensors.map { ($0.name, $0) }, uniquingKeysWith: { _, last in last })
    }

    /// Encodes `document` as the metadata JSON.
    static func encode<Document: Encodable>(_ document: Document, tensors: [NamedTensor]) -> RewardModelState {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        // A diverged scorer's loss or normaliser can be NaN or infinite, which plain JSON refuses:
        // written as strings, so the state still saves and loads (an empty document would not load).
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        let data = (try? encoder.encode(document)) ?? Data()
        return RewardModelState(tensors: tensors, metadata: data)
    }

    /// The field every model's document starts with: which model wrote it.
    private struct Header: Decodable { var model: String }

    /// The name of the model that wrote this state; nil when the metadata does not say.
    public var model: String? { try? JSONDecoder().decode(Header.self, from: metadata).model }

    /// Decodes the metadata JSON of `model`'s state; a state another model wrote, or one that does
    /// not decode, is an error naming the model.
    func decode<Document: Decodable>(_ type: Document.Type, model: String) throws -> Document {
        func decoded<T: Decodable>(_ type: T.Type) throws -> T {
            let decoder = JSONDecoder()
            decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
            do { return try decoder.decode(type, from: metadata) } catch {
                throw RewardError.badState("metadata is not a valid \(model) state: \(error)")
            }
        }
        let header = try decoded(Header.self)
        guard header.model == model else { throw RewardError.badState("state is for model '\(header.model)', not '\(model)'") }
        return try decoded(type)
    }

    /// The tensor `name` with exactly `count` values.
    func tensor(_ name: String, count: Int? = nil) throws -> NamedTensor {
        guard let t = tensorsByName[name] else { throw RewardError.badState("missing tensor \(name)") }
        if let count, t.values.count != count {
            throw RewardError.badState("tensor \(name) has \(t.values.count) values, expected \(count)")
        }
        return t
    }
}
