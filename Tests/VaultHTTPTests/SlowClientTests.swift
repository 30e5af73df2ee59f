import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import Testing
import Vault

@testable import VaultHTTP

#if canImport(Glibc)
import Glibc
#endif

/// A raw TCP client that can misbehave: send half a request and stop.
private final class RawConnection {
    let fd: Int32

    init(port: Int) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { throw POSIXError(.ECONNREFUSED) }
    }

    deinit { close(fd) }

    func send(_ text: String) {
        _ = Array(text.utf8).withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
    }

    /// What the server has sent so far: bytes, `closed` (0 from recv), or `silent`.
    enum Outcome: Equatable { case bytes, closed, silent }

    func poll() -> Outcome {
        var buffer = [UInt8](repeating: 0, count: 4096)
        let got = recv(fd, &buffer, buffer.count, Int32(MSG_DONTWAIT))
        return got > 0 ? .bytes : (got == 0 ? .closed : .silent)
    }

    /// Polls until something other than silence, or `seconds` pass. It sleeps between polls
    /// rather than blocking in `recv`: a blocked cooperative thread can starve the very server
    /// tasks it waits for when other suites run beside it on two cores.
    func wait(seconds: Double) async throws -> Outcome {
        let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
        while ContinuousClock.now < deadline {
            let outcome = poll()
            if outcome != .silent { return outcome }
            try await Task.sleep(for: .milliseconds(20))
        }
        return poll()
    }
}

@Suite("Slow clients", .serialized)
struct SlowClientTests {
    @Test("a client that trickles half a request is cut off after the idle timeout, and the connection cap holds the rest back")
    func slowloris() async throws {
        let fixture = try await TestVault.make()
        defer { fixture.remove() }
        let limits = ConnectionLimits(idleTimeout: .seconds(1), maximumConnections: 3)
        // The server as `cvault serve` runs it (the test framework's live mode rebuilds the
        // configuration and would drop the connection cap).
        let bound = AsyncStream<Int>.makeStream()
        let server = Task {
            try await VaultServer.run(vault: fixture.vault, host: "127.0.0.1", port: 0, limits: limits, logger: fixture.log.logger()) {
                bound.continuation.yield($0)
            }
        }
        defer { server.cancel() }
        let port = try #require(await bound.stream.first { _ in true })
        var slow: [RawConnection] = []
        let firstSent = ContinuousClock.now
        for _ in 0..<3 {
            // One at a time: the server accepts in bursts, and checks the cap between them.
            let connection = try RawConnection(port: port)
            connection.send("GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ")
            slow.append(connection)
            try await Task.sleep(for: .milliseconds(50))
        }
        // A fourth client gets no answer while the three hold every slot, and is served once
        // the idle timeout has closed them. The test checks the order of events, not how fast
        // they come: beside the rest of the suite on two cores, every deadline runs late.
        let waiting = try RawConnection(port: port)
        waiting.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        let answer: RawConnection.Outcome = try await waiting.wait(seconds: 30)
        let elapsed: Duration = ContinuousClock.now - firstSent
        #expect(answer == .bytes)
        #expect(elapsed >= limits.idleTimeout, "served before any slot could have been freed")
        // The slot it took was freed by the idle timeout closing a slow client…
        let closedFirst = slow.map { $0.poll() }.filter { $0 == .closed }.count
        #expect(closedFirst >= 1, "served while every slow client still held its slot")
        // …and the idle timeout closes the others too.
        for connection in slow {
            let outcome: RawConnection.Outcome = try await connection.wait(seconds: 30)
            #expect(outcome == .closed)
        }
    }
}
