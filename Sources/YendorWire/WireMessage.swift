/// Any Yendor message, for receivers that accept several kinds on one socket.
public enum WireMessage: Sendable, Equatable {
    case hello(Hello)
    case heartbeat(Heartbeat)
    case stats(Stats)
    case goodbye(Goodbye)
    case trajectoryBatch(TrajectoryBatch)
    case policyUpdate(PolicyUpdate)
    case annotationRequest(AnnotationRequest)
    case annotationResult(AnnotationResult)
    case envOpen(EnvOpen)
    case envSpec(EnvSpecMessage)
    case envStep(EnvStep)
    case envStepResult(EnvStepResult)
    case envClose(EnvClose)
    case envError(EnvError)
    case envDescribe(EnvDescribe)

    public var kind: MessageKind {
        switch self {
        case .hello: return .hello
        case .heartbeat: return .heartbeat
        case .stats: return .stats
        case .goodbye: return .goodbye
        case .trajectoryBatch: return .trajectoryBatch
        case .policyUpdate: return .policyUpdate
        case .annotationRequest: return .annotationRequest
        case .annotationResult: return .annotationResult
        case .envOpen: return .envOpen
        case .envSpec: return .envSpec
        case .envStep: return .envStep
        case .envStepResult: return .envStepResult
        case .envClose: return .envClose
        case .envError: return .envError
        case .envDescribe: return .envDescribe
        }
    }

    public func encoded() -> [UInt8] {
        switch self {
        case .hello(let m): return m.encoded()
        case .heartbeat(let m): return m.encoded()
        case .stats(let m): return m.encoded()
        case .goodbye(let m): return m.encoded()
        case .trajectoryBatch(let m): return m.encoded()
        case .policyUpdate(let m): return m.encoded()
        case .annotationRequest(let m): return m.encoded()
        case .annotationResult(let m): return m.encoded()
        case .envOpen(let m): return m.encoded()
        case .envSpec(let m): return m.encoded()
        case .envStep(let m): return m.encoded()
        case .envStepResult(let m): return m.encoded()
        case .envClose(let m): return m.encoded()
        case .envError(let m): return m.encoded()
        case .envDescribe(let m): return m.encoded()
        }
    }

    public static func decode(_ frame: UnsafeRawBufferPointer, limits: WireLimits = .default) throws -> WireMessage {
        let (kind, payload) = try Envelope.open(frame, limits: limits)
        var reader = ByteReader(payload, limits: limits)
        let message: WireMessage
        switch kind {
        case .hello: message = .hello(try Hello(from: &reader))
        case .heartbeat: message = .heartbeat(try Heartbeat(from: &reader))
        case .stats: message = .stats(try Stats(from: &reader))
        case .goodbye: message = .goodbye(try Goodbye(from: &reader))
        case .trajectoryBatch: message = .trajectoryBatch(try TrajectoryBatch(from: &reader))
        case .policyUpdate: message = .policyUpdate(try PolicyUpdate(from: &reader))
        case .annotationRequest: message = .annotationRequest(try AnnotationRequest(from: &reader))
        case .annotationResult: message = .annotationResult(try AnnotationResult(from: &reader))
        case .envOpen: message = .envOpen(try EnvOpen(from: &reader))
        case .envSpec: message = .envSpec(try EnvSpecMessage(from: &reader))
        case .envStep: message = .envStep(try EnvStep(from: &reader))
        case .envStepResult: message = .envStepResult(try EnvStepResult(from: &reader))
        case .envClose: message = .envClose(try EnvClose(from: &reader))
        case .envError: message = .envError(try EnvError(from: &reader))
        case .envDescribe: message = .envDescribe(try EnvDescribe(from: &reader))
        }
        try reader.finish()
        return message
    }

    public static func decode(_ frame: [UInt8], limits: WireLimits = .default) throws -> WireMessage {
        try frame.withUnsafeBytes { try decode($0, limits: limits) }
    }
}
