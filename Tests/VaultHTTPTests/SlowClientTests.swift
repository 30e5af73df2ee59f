import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Hummingbird
import HummingbirdTesting
import Logging
import Testing
import Vault
@testable import VaultHTTP

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
        var timeout = timeval(tv_sec: 0, tv_usec: 200_000)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    deinit { close(fd) }

    func send(_ text: String) {
        _ = Array(text.utf8).withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
    }

    /// What the server sent within 200 ms: bytes, `closed` (0 from recv), or `silent`.
    enum Outcome: Equatable { case bytes, closed, silent }

    func poll() -> Outcome {
        var buffer = [UInt8](repeating: 0, count: 4096)
        let got = recv(fd, &buffer, buffer.count, 0)
        return got > 0 ? .bytes : (got == 0 ? .closed : .silent)
    }

    /// Polls until something other than silence, or `seconds` pass.
    func wait(seconds: Double) -> Outcome {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            let outcome = poll()
            if outcome != .silent { return outcome }
        }
        return .silent
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
        for _ in 0..<3 {
            // One at a time: the server accepts in bursts, and checks the cap between them.
            let connection = try RawConnection(port: port)
            connection.send("GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ")
            slow.append(connection)
            try await Task.sleep(for: .milliseconds(50))
        }
        // A fourth client gets no answer while the three hold every slot…
        let waiting = try RawConnection(port: port)
        waiting.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(waiting.wait(seconds: 0.5) == .silent)
        // …until the idle timeout closes the slow ones, and then it is served.
        for connection in slow { #expect(connection.wait(seconds: 3) == .closed) }
        #expect(waiting.wait(seconds: 3) == .bytes)
    }
}
