import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
#if canImport(Glibc)
import Glibc
#endif
import Logging
import Testing
import YendorSupport
import YendorTestSupport
@testable import YendorRuntime

/// The /metrics server: any peer can reach it, so what connections hold is bounded and nothing a
/// peer does ends the role (trial C: idle connections took every descriptor of a learner, which
/// then stopped with "configuration error in run.prometheus_port").
@Suite("The /metrics server")
struct MetricsHTTPServerTests {
    /// `count` TCP connections to 127.0.0.1:`port` that send nothing (closed by the caller).
    static func idleConnections(_ count: Int, to port: UInt16) -> [Int32] {
        (0..<count).compactMap { _ in
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = in_port_t(port.bigEndian)
            inet_pton(AF_INET, "127.0.0.1", &address.sin_addr)
            let connected = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            if connected == 0 { return fd }
            close(fd)
            return nil
        }
    }

    /// The status line and body of one request `raw` sent on a connection of its own.
    static func exchange(_ raw: String, port: UInt16) async throws -> (status: String, body: String) {
        try await offPool {
            let fd = try #require(Self.idleConnections(1, to: port).first)
            defer { close(fd) }
            let bytes = Array(raw.utf8)
            _ = bytes.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            var answer: [UInt8] = [], chunk = [UInt8](repeating: 0, count: 4096)
            while true {
                let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
                if n <= 0 { break }
                answer += chunk[..<n]
            }
            let text = String(decoding: answer, as: UTF8.self)
            let status = text.components(separatedBy: "\r\n").first ?? ""
            let body = text.range(of: "\r\n\r\n").map { String(text[$0.upperBound...]) } ?? ""
            return (status, body)
        }
    }

    /// The first answer to `raw`, asked again while a connection is closed unanswered (made way for
    /// idle ones as a scraper retries: on a loaded machine this test's thread can be held between
    /// its connect and its request for longer than `idleSeconds`).
    static func answer(_ raw: String, port: UInt16) async -> (status: String, body: String) {
        var got = (status: "", body: "")
        _ = await Poll.until(timeout: 600) {
            got = (try? await Self.exchange(raw, port: port)) ?? ("", "")
            return !got.status.isEmpty
        }
        return got
    }

    /// Idle connections past the limit close the oldest idle ones: a scrape is answered while they
    /// stay open (it waited behind them, 59.8 s for 200 in review R2).
    @Test func idleConnectionsBeyondTheLimitDoNotKeepAScrapeWaiting() async throws {
        // Idle ones never time out here: only their eviction lets the scrape in.
        let limits = MetricsHTTPServer.Limits(connections: 2, idleSeconds: 0.1, requestSeconds: 600, requestBytes: 512)
        let server = try MetricsHTTPServer(host: "127.0.0.1", port: 0, limits: limits, logger: Logger(label: "test")) { Array("m 1\n".utf8) }
        let stop = StopFlag()
        let serving = Task { try await OwnThread.run { server.serve(until: stop) } }
        defer { stop.set() }
        let idle = Self.idleConnections(20, to: server.port)
        defer { idle.forEach { close($0) } }
        #expect(idle.count == 20)
        let scrape = await Self.answer("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n", port: server.port)
        #expect(scrape.status == "HTTP/1.1 200 OK" && scrape.body == "m 1\n", "\(scrape)")
        #expect(await Self.answer("GET /other HTTP/1.1\r\n\r\n", port: server.port).status == "HTTP/1.1 404 Not Found")
        #expect(await Self.answer("POST /metrics HTTP/1.1\r\n\r\n", port: server.port).status == "HTTP/1.1 405 Method Not Allowed")
        let long = "GET /metrics HTTP/1.1\r\nX: " + String(repeating: "a", count: 600) + "\r\n\r\n"
        #expect(await Self.answer(long, port: server.port).status == "HTTP/1.1 431 Request Header Fields Too Large")
        #expect(await Self.answer("GET /metrics HTTP/1.0\n\n", port: server.port).status == "HTTP/1.1 200 OK", "bare LF")
        stop.set()
        try await serving.value
    }

    /// A peer that asks and then reads nothing holds no thread: its large response goes as the
    /// socket takes it, and others are answered meanwhile (a blocking send held the server's one
    /// thread, and its stop, for as long as the peer read nothing; review R2).
    @Test func aPeerThatReadsNothingKeepsNoOtherScrapeWaiting() async throws {
        let large = [UInt8](repeating: 65, count: 8 << 20)
        let limits = MetricsHTTPServer.Limits(connections: 4, requestSeconds: 600, requestBytes: 512, sendSeconds: 600)
        let server = try MetricsHTTPServer(host: "127.0.0.1", port: 0, limits: limits, logger: Logger(label: "test")) { large }
        let stop = StopFlag()
        let serving = Task { try await OwnThread.run { server.serve(until: stop) } }
        defer { stop.set() }
        let stalled = try #require(Self.idleConnections(1, to: server.port).first)
        defer { close(stalled) }
        let request = Array("GET /metrics HTTP/1.1\r\n\r\n".utf8)
        _ = request.withUnsafeBytes { send(stalled, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        let scrape = try await Self.exchange("GET /metrics HTTP/1.1\r\n\r\n", port: server.port)
        #expect(scrape.status == "HTTP/1.1 200 OK" && scrape.body.utf8.count == large.count, "\(scrape.status) \(scrape.body.utf8.count) bytes")
        stop.set()
        try await serving.value  // the stop is heard with the stalled peer still connected
    }

    /// A role with few descriptors flooded with idle connections to its /metrics port stays up and
    /// is still scraped (it stopped with exit status 64 once accept failed with EMFILE).
    @Test(.enabled(if: GymFixture.available, "needs .venv (make deps)"))
    func anAnnotatorFloodedWithIdleConnectionsToItsMetricsPortStaysUp() async throws {
        let dir = Scratch.root.appendingPathComponent("metrics-flood-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let port = ChildProcess.freePort()
        let command = [ChildProcess.yendorBinary.path, "annotator", "--requests", "tcp://127.0.0.1:\(ChildProcess.freePort())",
                       "--labels", "tcp://127.0.0.1:\(ChildProcess.freePort())", "--store", dir.appendingPathComponent("labels.sqlite").path,
                       "--prometheus-port", "\(port)", "--prometheus-host", "127.0.0.1"].map { "'\($0)'" }.joined(separator: " ")
        let annotator = try ChildProcess(executable: URL(fileURLWithPath: "/bin/sh"), arguments: ["-c", "ulimit -n 256 && exec \(command)"])
        defer { annotator.kill() }
        #expect(await annotator.waitForStandardError(containing: "Prometheus metrics on http://127.0.0.1:\(port)/metrics", timeout: 600),
                "\(annotator.standardError.suffix(1500))")
        // More than its descriptors: it keeps as many as it serves at once, closing the oldest idle
        // ones (the flood took every descriptor, then ended the role). The flood is a process of its
        // own: 300 more descriptors in this one, which runs many tests at once, are not its to take.
        let flood = try ChildProcess(executable: GymFixture.repository.appendingPathComponent(".venv/bin/python"), arguments: ["-c", """
            import socket, sys, time
            held = []
            for _ in range(300):
                s = socket.socket(); s.setblocking(False)
                try: s.connect(("127.0.0.1", \(port)))
                except BlockingIOError: pass
                held.append(s)
            print("opened", len(held), flush=True)
            time.sleep(3600)
            """])
        defer { flood.kill() }
        #expect(await flood.waitForLine { $0 == "opened 300" } != nil, "\(flood.standardError)")
        #expect(await annotator.waitForStandardError(containing: "without a request for 1.0 s when 32 were open", timeout: 600),
                "\(annotator.standardError.suffix(1500))")
        // Scraped with the idle connections still open.
        let scrape = await Self.answer("GET /metrics HTTP/1.1\r\n\r\n", port: UInt16(port))
        #expect(scrape.status == "HTTP/1.1 200 OK" && scrape.body.contains("yendor_annotator_queue_depth"), "\(scrape.status)")
        #expect(annotator.isRunning, "\(annotator.standardError.suffix(1500))")
        annotator.signal(SIGTERM)
        #expect(await annotator.waitForExit(timeout: 600) == 0, "\(annotator.standardError.suffix(1500))")
    }
}
