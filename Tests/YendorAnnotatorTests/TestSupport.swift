import Foundation
import Logging
@testable import YendorAnnotator
import YendorAnnotatorRole
import YendorTestSupport

/// A fresh directory under the system temp directory, for store files.
func temporaryDirectory() throws -> URL {
    let url = Scratch.root.appendingPathComponent("yendor-annotator-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

func temporaryStore() throws -> (LabelStore, URL) {
    let directory = try temporaryDirectory()
    let path = directory.appendingPathComponent("labels.sqlite").path
    return (try LabelStore(path: path), directory)
}

let testLogger = Logger(label: "yendor.annotator.tests", factory: { _ in SwiftLogNoOpLogHandler() })

extension AnnotatorClient.Configuration {
    /// A client of an annotator on two free loopback ports (where nothing may listen yet).
    static func onFreeLoopbackPorts() -> Self {
        var c = Self()
        c.requestsEndpoint = "tcp://127.0.0.1:\(ChildProcessPorts.free())"
        c.labelsEndpoint = "tcp://127.0.0.1:\(ChildProcessPorts.free())"
        return c
    }
}

func captions(_ count: Int, prefix: String = "You kill the jackal") -> [LabelRequest] {
    (0..<count).map { LabelRequest.classify("\(prefix) #\($0)!", goal: .combat) }
}

