import Foundation
import Synchronization
import Testing

@testable import VaultCrypto

/// The per-thread OpenSSL contexts under load: many tasks and threads, each with its own key.
struct ConcurrencyTests {
    /// One worker's inputs and the results computed for them on a single thread beforehand.
    struct Job: Sendable {
        let key: SymmetricKey
        let nonce: AES.GCM.Nonce
        let message: [UInt8]
        let associatedData: [UInt8]
        let expectedCombined: [UInt8]
        let expectedDigest: SHA256Digest
        let expectedMAC: [UInt8]

        init(_ index: Int) throws {
            let random = DeterministicRandom(seed: UInt64(index))
            key = SymmetricKey(using: random)
            // Every fourth job takes the fresh-context path of a non-96-bit nonce.
            nonce = try AES.GCM.Nonce(data: random.bytes(index % 4 == 0 ? 16 : 12))
            message = random.bytes(index * 37 % 3000)
            associatedData = Array("job-\(index)".utf8)
            let box = try AES.GCM.seal(message, using: key, nonce: nonce, authenticating: associatedData)
            expectedCombined = box.nonce.bytes + box.ciphertext + box.tag
            expectedDigest = SHA256.hash(data: message)
            expectedMAC = HMACSHA256.authenticationCode(for: message, using: key).bytes
        }

        /// Repeats the work; true when every result matches the single-threaded one.
        func run(rounds: Int) -> Bool {
            for _ in 0..<rounds {
                guard let box = try? AES.GCM.seal(message, using: key, nonce: nonce, authenticating: associatedData),
                    box.nonce.bytes + box.ciphertext + box.tag == expectedCombined,
                    (try? AES.GCM.open(box, using: key, authenticating: associatedData)) == message,
                    let fresh = try? AES.GCM.seal(message, using: key, authenticating: associatedData),
                    (try? AES.GCM.open(combined: fresh.combined, using: key, authenticating: associatedData)) == message,
                    (try? AES.GCM.open(fresh, using: key, authenticating: associatedData + [0])) == nil,
                    SHA256.hash(data: message) == expectedDigest,
                    HMACSHA256.authenticationCode(for: message, using: key).bytes == expectedMAC
                else { return false }
            }
            return true
        }
    }

    @Test("many tasks sealing, opening and hashing at once on different keys get the right results")
    func tasks() async throws {
        let jobs = try (0..<64).map(Job.init)
        let failures = await withTaskGroup(of: Int?.self) { group in
            for (index, job) in jobs.enumerated() {
                group.addTask { job.run(rounds: 50) ? nil : index }
            }
            var failed: [Int] = []
            for await result in group { if let result { failed.append(result) } }
            return failed
        }
        #expect(failures.isEmpty, "jobs with wrong results: \(failures.sorted())")
    }

    @Test("threads that come and go each get, and release, their own contexts")
    func threads() throws {
        let jobs = try (0..<16).map(Job.init)
        let results = ResultBox(count: jobs.count)
        let group = DispatchGroup()
        for (index, job) in jobs.enumerated() {
            group.enter()
            let thread = Thread {
                results.set(index, job.run(rounds: 20))
                group.leave()
            }
            thread.start()
        }
        #expect(group.wait(timeout: .now() + 120) == .success)
        #expect(results.all)
    }

    /// Results written from several threads.
    final class ResultBox: Sendable {
        private let values: Mutex<[Bool]>
        init(count: Int) { values = Mutex(Array(repeating: false, count: count)) }
        func set(_ index: Int, _ value: Bool) { values.withLock { $0[index] = value } }
        var all: Bool { values.withLock { $0.allSatisfy { $0 } } }
    }
}
