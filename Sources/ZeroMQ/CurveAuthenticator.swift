import Foundation
import Synchronization
import YendorSupport

/// A ZAP handler (ZeroMQ RFC 27) that admits CURVE clients whose public key is on an allow-list.
/// Without one, any client that knows the server's public key may connect; with one, a peer without
/// an allowed key completes no handshake and so gets nothing in and nothing out.
///
/// One per context: it binds `inproc://zeromq.zap.01` in that context and answers on its own thread.
public final class CurveAuthenticator: Sendable {
    /// Z85 public keys currently allowed.
    private let allowed: Mutex<Set<String>>
    private let stop = Atomic<Bool>(false)
    private let done = AsyncBoundedQueue<Bool>(capacity: 1)
    /// Handshakes accepted and refused so far.
    public let accepted = Atomic<Int>(0), refused = Atomic<Int>(0)
    /// Told of each refused handshake, on the handler's thread: the client's public key (Z85, or
    /// what it offered instead) and address. A refused client learns nothing, so the server's log
    /// is where an operator tells a revoked key from a role that is down.
    private let onRefused: (@Sendable (_ key: String, _ address: String) -> Void)?

    public init(context: Context, allowedPublicKeys: Set<String>,
                onRefused: (@Sendable (_ key: String, _ address: String) -> Void)? = nil) throws {
        self.onRefused = onRefused
        for key in allowedPublicKeys where (try? Z85.decode(key))?.count != 32 {
            throw ZMQError(code: EINVAL, operation: "CurveAuthenticator: '\(key)' is not a 40-character Z85 public key")
        }
        allowed = Mutex(allowedPublicKeys)
        let ready = AsyncBoundedQueue<Result<Void, Error>>(capacity: 1)
        let thread = Thread { [self] in
            let socket: Socket
            do {
                socket = try Socket(context: context, type: .rep)
                try socket.set([.linger(milliseconds: 0), .receiveTimeout(milliseconds: 200)])
                try socket.bind("inproc://zeromq.zap.01")
                ready.trySend(.success(()))
            } catch {
                ready.trySend(.failure(error))
                done.trySend(true)
                return
            }
            while !stop.load(ordering: .relaxed) {
                do {
                    guard let request = try socket.receive() else { continue }
                    _ = try socket.send(parts: reply(to: request.map(\.bytes)))
                } catch let e as ZMQError where e.wouldBlock {
                    continue  // receive timeout: check the stop flag
                } catch {
                    break  // context terminated
                }
            }
            socket.close()
            done.trySend(true)
        }
        thread.name = "zmq.zap"
        thread.start()
        // Setup takes microseconds; waiting here keeps the initializer synchronous for callers.
        while true {
            if let r = ready.tryReceive() { try r.get(); break }
            usleep(1000)
        }
    }

    /// Replaces the allow-list (e.g. after a key file was added).
    public func allow(_ keys: Set<String>) { allowed.withLock { $0 = keys } }

    /// Stops the handler thread; call before terminating the context.
    public func close() async {
        stop.store(true, ordering: .relaxed)
        _ = await done.receive()
    }

    /// RFC 27 request: version, request id, domain, address, identity, mechanism, credentials…
    func reply(to frames: [[UInt8]]) -> [[UInt8]] {
        guard frames.count >= 6 else { return [] }
        let version = frames[0], requestID = frames[1]
        let mechanism = String(decoding: frames[5], as: UTF8.self), address = String(decoding: frames[3], as: UTF8.self)
        var status = "400", text = "unknown client key", user = ""
        if mechanism == "CURVE", frames.count >= 7, frames[6].count == 32, let key = try? Z85.encode(frames[6]) {
            if allowed.withLock({ $0.contains(key) }) {
                status = "200"; text = "OK"; user = key
                accepted.add(1, ordering: .relaxed)
            } else {
                refused.add(1, ordering: .relaxed)
                onRefused?(key, address)
            }
        } else {
            text = "CURVE required"
            refused.add(1, ordering: .relaxed)
            onRefused?("(mechanism \(mechanism.prefix(20)))", address)
        }
        return [version, requestID, Array(status.utf8), Array(text.utf8), Array(user.utf8), []]
    }

    /// Reads every `*.pub` file in a directory (as written by `yendor keys generate`). A missing
    /// directory, or one with no key, is refused: nobody could ever connect.
    public static func publicKeys(inDirectory path: String) throws -> Set<String> {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue,
              let all = try? FileManager.default.contentsOfDirectory(atPath: path) else {
            throw AllowListError(description: "the allow-list \(path) is not a directory (it holds the allowed clients' .pub files, from yendor keys generate)")
        }
        let names = all.filter { $0.hasSuffix(".pub") }
        guard !names.isEmpty else {
            throw AllowListError(description: "the allow-list \(path) holds no .pub file: no client could connect (copy the clients' NAME.pub files from yendor keys generate into it)")
        }
        return Set(try names.map { try CurveKeyPair.readKey(from: (path as NSString).appendingPathComponent($0)) })
    }

    /// An allow-list directory that cannot admit anyone.
    public struct AllowListError: Error, CustomStringConvertible {
        public let description: String
    }
}

extension CurveKeyPair {
    /// A Z85 key from a key file (first line), or the text itself if it is no file and is a key.
    /// The file is checked first: a 40-character path can also be valid Z85 text.
    public static func readKey(from pathOrKey: String) throws -> String {
        if !FileManager.default.fileExists(atPath: pathOrKey), pathOrKey.utf8.count == 40,
           (try? Z85.decode(pathOrKey)) != nil { return pathOrKey }
        guard let text = try? String(contentsOfFile: pathOrKey, encoding: .utf8) else {
            throw ZMQError(code: ENOENT, operation: "read CURVE key \(pathOrKey)")
        }
        let key = text.split(whereSeparator: \.isNewline).first.map(String.init)?.trimmingCharacters(in: .whitespaces) ?? ""
        guard key.utf8.count == 40, (try? Z85.decode(key)) != nil else {
            throw ZMQError(code: EINVAL, operation: "CURVE key file \(pathOrKey) does not hold a 40-character Z85 key")
        }
        return key
    }
}
