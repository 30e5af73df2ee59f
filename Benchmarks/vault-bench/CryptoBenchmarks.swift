import Foundation
import VaultCrypto

/// AES-256-GCM and DEK wrapping, each beside OpenSSL's own loop (`openssl speed`) run in the same
/// process tree and interleaved with ours, so the ratios survive a busy machine better than the
/// absolute figures do.
enum CryptoBenchmarks {
    static func run(_ options: BenchOptions) {
        let rounds = max(1, options.value("rounds", default: options.quick ? 1 : 3))
        let seconds = max(1, options.value("seconds", default: 1))
        let ourSeconds = options.quick ? 0.25 : Double(seconds)

        var rows: [Row] = []
        for size in [1024, 8192] {
            let sealOpen = SealOpen(size: size)
            var ours = 0.0
            var encrypt: Double?
            var decrypt: Double?
            for _ in 0..<rounds {
                encrypt = best(encrypt, OpenSSLSpeed.bytesPerSecond(bytes: size, seconds: seconds, mode: .encrypt))
                decrypt = best(decrypt, OpenSSLSpeed.bytesPerSecond(bytes: size, seconds: seconds, mode: .decrypt))
                ours = max(ours, measure(seconds: ourSeconds, sealOpen.run) * Double(size))
            }
            // A round trip encrypts, then decrypts, every byte: OpenSSL's time for both, per byte.
            let roundTrip = encrypt.flatMap { e in decrypt.map { d in 1 / (1 / e + 1 / d) } }
            rows.append(
                Row(
                    name: "AES-256-GCM seal+open, \(size / 1024) KiB",
                    vault: ours,
                    baseline: roundTrip,
                    unit: .megabytes,
                    goal: size == 8192 ? .ratio(0.6) : nil
                )
            )
        }

        let dek = DEKWrapping()
        var wraps = 0.0
        var unwraps = 0.0
        var rawOpens: Double?
        for _ in 0..<rounds {
            rawOpens = best(rawOpens, OpenSSLSpeed.bytesPerSecond(bytes: 32, seconds: seconds, mode: .aeadDecrypt).map { $0 / 32 })
            wraps = max(wraps, measure(seconds: ourSeconds, dek.wrap))
            unwraps = max(unwraps, measure(seconds: ourSeconds, dek.unwrap))
        }
        rows.append(Row(name: "DEK wrap (32 B)", vault: wraps, baseline: rawOpens, unit: .perSecond, goal: nil))
        rows.append(Row(name: "DEK unwrap (32 B)", vault: unwraps, baseline: rawOpens, unit: .perSecond, goal: .absolute(500_000)))

        print(table(rows, rounds: rounds, seconds: seconds, ourSeconds: ourSeconds))
    }

    // MARK: - Workloads

    /// One vault record round trip: seal with a fresh nonce, serialise, open the combined form.
    private struct SealOpen {
        let key = SymmetricKey()
        let message: [UInt8]
        let associatedData = Array("cus_0123456789abcdef\u{0}profile\u{0}v1".utf8)

        init(size: Int) {
            message = SystemRandom().bytes(size)
            // A benchmark of a broken round trip would be meaningless: check once, untimed.
            let combined = try? AES.GCM.seal(message, using: key, authenticating: associatedData).combined
            precondition(
                combined.flatMap { try? AES.GCM.open(combined: $0, using: key, authenticating: associatedData) } == message,
                "seal/open round trip failed"
            )
        }

        func run() throws -> Int {
            let combined = try AES.GCM.seal(message, using: key, authenticating: associatedData).combined
            return try AES.GCM.open(combined: combined, using: key, authenticating: associatedData).count
        }
    }

    /// A customer DEK wrapped under the current KEK, as the vault stores it.
    private struct DEKWrapping {
        let kek = KeyEncryptionKey.generate(version: 7)
        let dek = SymmetricKey()
        let customerID = "cus_0123456789abcdef"
        let wrapped: WrappedKey

        init() {
            wrapped = try! kek.wrap(dek, customerID: customerID)
            precondition((try? kek.unwrap(wrapped, customerID: customerID)) == dek, "wrap/unwrap round trip failed")
        }

        func wrap() throws -> Int { try kek.wrap(dek, customerID: customerID).kekVersion == 7 ? 1 : 0 }
        func unwrap() throws -> Int { try kek.unwrap(wrapped, customerID: customerID).byteCount }
    }

    // MARK: - Measuring

    /// Operations per second of `body`, run in batches for about `seconds` of wall-clock time.
    private static func measure(seconds: Double, _ body: () throws -> Int) -> Double {
        let clock = ContinuousClock()
        let budget = Duration.milliseconds(Int64(seconds * 1000))
        var operations = 0
        var sink = 0
        let start = clock.now
        var elapsed = Duration.zero
        repeat {
            for _ in 0..<64 {
                do { sink &+= try body() } catch { fatalError("benchmark operation failed: \(error)") }
            }
            operations += 64
            elapsed = clock.now - start
        } while elapsed < budget
        blackHole(sink)
        let components = elapsed.components
        return Double(operations) / (Double(components.seconds) + Double(components.attoseconds) / 1e18)
    }

    /// Keeps the optimiser from discarding the measured work.
    @inline(never)
    private static func blackHole(_ value: Int) {
        withExtendedLifetime(value) {}
    }

    private static func best(_ a: Double?, _ b: Double?) -> Double? {
        switch (a, b) {
        case let (a?, b?): max(a, b)
        default: a ?? b
        }
    }

    // MARK: - Report

    private enum Unit { case megabytes, perSecond }
    private enum Goal {
        case ratio(Double)
        case absolute(Double)
    }

    private struct Row {
        let name: String
        let vault: Double
        let baseline: Double?
        let unit: Unit
        let goal: Goal?
    }

    private static func format(_ value: Double, _ unit: Unit) -> String {
        switch unit {
        case .megabytes: "\(Int((value / 1e6).rounded())) MB/s"
        case .perSecond: "\(grouped(Int(value.rounded()))) /s"
        }
    }

    /// `1234567` as `1,234,567`, whatever the machine's locale.
    private static func grouped(_ value: Int) -> String {
        var digits = String(value)
        var index = digits.endIndex
        while digits.distance(from: digits.startIndex, to: index) > 3 {
            index = digits.index(index, offsetBy: -3)
            digits.insert(",", at: index)
        }
        return digits
    }

    private static func table(_ rows: [Row], rounds: Int, seconds: Int, ourSeconds: Double) -> String {
        var lines = [
            "| crypto | vault | baseline (OpenSSL, same run) | ratio | goal |",
            "|---|---:|---:|---:|---|",
        ]
        for row in rows {
            let ratio = row.baseline.map { row.vault / $0 }
            let goal: String
            switch row.goal {
            case .ratio(let wanted)?:
                goal = "≥ \(wanted)× " + (ratio.map { $0 >= wanted ? "met" : "missed" } ?? "unmeasured")
            case .absolute(let wanted)?:
                goal = "≥ \(format(wanted, row.unit)) " + (row.vault >= wanted ? "met" : "missed")
            case nil:
                goal = ""
            }
            lines.append(
                "| \(row.name) | \(format(row.vault, row.unit)) | \(row.baseline.map { format($0, row.unit) } ?? "n/a") | "
                    + "\(ratio.map { String(format: "%.2f×", $0) } ?? "n/a") | \(goal) |"
            )
        }
        lines.append("")
        lines.append("Seal+open: message bytes per second through a whole round trip (fresh random nonce, associated data, combined form,")
        lines.append("open of that form); baseline: OpenSSL's EVP loops over the same size, `openssl speed -elapsed -evp aes-256-gcm -bytes N`")
        lines.append("and the same with `-decrypt`, combined as 1 / (1/encrypt + 1/decrypt). DEK rows: `KeyEncryptionKey.wrap`/`unwrap` of a")
        lines.append(
            "32-byte key on one thread; baseline: a raw 32-byte GCM open, `openssl speed -elapsed -aead -decrypt -evp aes-256-gcm -bytes 32`"
        )
        lines.append(
            "(per record: new IV, 13-byte AAD, tag; no key setup). Best of \(rounds) interleaved round(s): OpenSSL \(seconds) s, vault \(ourSeconds) s each."
        )
        return lines.joined(separator: "\n")
    }
}

/// Runs `openssl speed` and reads its machine-readable result; nil when OpenSSL's CLI is absent.
private enum OpenSSLSpeed {
    enum Mode { case encrypt, decrypt, aeadDecrypt }

    static func bytesPerSecond(bytes: Int, seconds: Int, mode: Mode) -> Double? {
        var arguments = ["openssl", "speed", "-mr", "-elapsed", "-seconds", String(seconds), "-bytes", String(bytes)]
        switch mode {
        case .encrypt: break
        case .decrypt: arguments.append("-decrypt")
        case .aeadDecrypt: arguments += ["-aead", "-decrypt"]
        }
        arguments += ["-evp", "aes-256-gcm"]

        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        do { try process.run() } catch { return nil }
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { return nil }
        // `+F:<n>:AES-256-GCM:<bytes per second>` is the -mr summary line for the one size run.
        for line in String(decoding: data, as: UTF8.self).split(separator: "\n") where line.hasPrefix("+F:") {
            if let last = line.split(separator: ":").last, let value = Double(last), value > 0 { return value }
        }
        return nil
    }
}
