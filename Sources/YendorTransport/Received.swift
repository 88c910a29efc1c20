import YendorWire

/// One thing a role takes in from its peers: a trajectory (a checked frame from another process, or
/// a value from this one), another message, or a frame that did not decode (which the role counts
/// and logs, and which never stops it).
public enum Received: Sendable {
    case trajectory(ReceivedTrajectory)
    case message(WireMessage)
    case malformed(WireError)
}
