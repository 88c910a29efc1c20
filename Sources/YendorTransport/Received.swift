import YendorWire

/// One thing a role takes in from its peers: a message, or a frame that did not decode (which the
/// role counts and logs, and which never stops it).
public enum Received: Sendable {
    case message(WireMessage)
    case malformed(WireError)
}
