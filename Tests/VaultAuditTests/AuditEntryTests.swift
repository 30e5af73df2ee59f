import Foundation
import Testing
import VaultAudit

@Suite("Audit entries and their leaf bytes")
struct AuditEntryTests {
    static let policy = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"

    let full = AuditEntry(
        seq: 41,
        at: AuditTimestamp(rfc3339: "2026-11-23T02:31:07.045Z")!,
        actor: "tok_support_7",
        role: "support",
        purpose: "service",
        customer: "cus_0001",
        fields: ["phone", "email", "name", "email"],
        op: "profile.read",
        decision: .allow,
        reason: "allowed",
        policy: policy,
        details: ["kek": "3", "shape": "fields"]
    )

    let minimal = AuditEntry(
        seq: 0,
        at: AuditTimestamp(millisecondsSince1970: 0)!,
        actor: "system",
        role: "system",
        purpose: nil,
        customer: nil,
        fields: [],
        op: "vault.init",
        decision: .deny,
        reason: "no_consent",
        policy: policy
    )

    @Test func canonicalBytesOfAFullEntry() {
        let expected =
            #"{"actor":"tok_support_7","at":"2026-11-23T02:31:07.045Z","customer":"cus_0001","decision":"allow","details":{"kek":"3","shape":"fields"},"fields":["email","name","phone"],"op":"profile.read","policy":"\#(Self.policy)","purpose":"service","reason":"allowed","role":"support","seq":41,"v":1}"#
        #expect(String(decoding: full.leafBytes, as: UTF8.self) == expected)
        #expect(full.fields == ["email", "name", "phone"])
    }

    @Test func absentOptionalsAreOmitted() {
        let expected =
            #"{"actor":"system","at":"1970-01-01T00:00:00.000Z","decision":"deny","fields":[],"op":"vault.init","policy":"\#(Self.policy)","reason":"no_consent","role":"system","seq":0,"v":1}"#
        #expect(String(decoding: minimal.leafBytes, as: UTF8.self) == expected)
    }

    @Test func roundTrips() throws {
        for entry in [full, minimal] {
            #expect(try AuditEntry(leafBytes: entry.leafBytes) == entry)
        }
        let awkward = AuditEntry(
            seq: UInt64(Int64.max),
            at: .now,
            actor: "a\"b\\c\n",
            role: "r\u{1}",
            purpose: "",
            customer: "ü😀",
            fields: ["z", "Z", "é", "e\u{301}x"],
            op: "op",
            decision: .allow,
            reason: "r",
            policy: "p",
            details: ["ε": "0.5", "k": "line\nbreak"]
        )
        #expect(try AuditEntry(leafBytes: awkward.leafBytes) == awkward)
        #expect(try AuditEntry(leafBytes: awkward.leafBytes).leafBytes == awkward.leafBytes)
    }

    /// Each of these decodes as JSON but is not what the logger wrote.
    @Test func nonCanonicalLeavesAreRejected() throws {
        let canonical = String(decoding: full.leafBytes, as: UTF8.self)
        let rewrites = [
            canonical.replacingOccurrences(of: ",", with: ", "),
            "{" + canonical.dropFirst().replacingOccurrences(of: #""v":1}"#, with: #""v":1 }"#),
            canonical.replacingOccurrences(of: #"["email","name","phone"]"#, with: #"["name","email","phone"]"#),
            canonical.replacingOccurrences(of: #"["email","name","phone"]"#, with: #"["email","email","name","phone"]"#),
            canonical.replacingOccurrences(of: "tok_support_7", with: #"tok_support_\u0037"#),
        ]
        #expect(Set(rewrites).count == rewrites.count)
        for (position, rewrite) in rewrites.enumerated() {
            let error = #expect(throws: AuditError.self) { try AuditEntry(leafBytes: Array(rewrite.utf8)) }
            #expect(error?.code == "non_canonical_leaf", "rewrite \(position)")
        }
        let reordered =
            #"{"at":"2026-11-23T02:31:07.045Z","actor":"tok_support_7","customer":"cus_0001","decision":"allow","details":{"kek":"3","shape":"fields"},"fields":["email","name","phone"],"op":"profile.read","policy":"\#(Self.policy)","purpose":"service","reason":"allowed","role":"support","seq":41,"v":1}"#
        #expect((#expect(throws: AuditError.self) { try AuditEntry(leafBytes: Array(reordered.utf8)) })?.code == "non_canonical_leaf")
        let emptyDetails = String(decoding: minimal.leafBytes, as: UTF8.self).replacingOccurrences(of: #""fields""#, with: #""details":{},"fields""#)
        #expect((#expect(throws: AuditError.self) { try AuditEntry(leafBytes: Array(emptyDetails.utf8)) })?.code == "non_canonical_leaf")
    }

    @Test func malformedLeavesAreRejected() throws {
        let canonical = String(decoding: minimal.leafBytes, as: UTF8.self)
        let cases: [(String, String)] = [
            (canonical.replacingOccurrences(of: #""v":1"#, with: #""v":2"#), "malformed_leaf"),
            (canonical.replacingOccurrences(of: #","v":1"#, with: ""), "malformed_leaf"),
            (canonical.replacingOccurrences(of: #""seq":0"#, with: #""seq":-1"#), "malformed_leaf"),
            (canonical.replacingOccurrences(of: #""seq":0"#, with: #""seq":"0""#), "malformed_leaf"),
            (canonical.replacingOccurrences(of: #""seq":0"#, with: #""seq":00"#), "malformed_json"),
            (canonical.replacingOccurrences(of: ".000Z", with: "Z"), "malformed_leaf"),
            (canonical.replacingOccurrences(of: "1970-01-01T", with: "1970-02-30T"), "malformed_leaf"),
            (canonical.replacingOccurrences(of: #""deny""#, with: #""maybe""#), "malformed_leaf"),
            (canonical.replacingOccurrences(of: #""fields":[]"#, with: #""fields":[1]"#), "malformed_leaf"),
            (canonical.replacingOccurrences(of: #""fields":[]"#, with: #""fields":"email""#), "malformed_leaf"),
            (canonical.replacingOccurrences(of: #""actor":"system","#, with: ""), "malformed_leaf"),
            (canonical.replacingOccurrences(of: #""actor":"system""#, with: #""actor":null"#), "malformed_leaf"),
            (canonical.replacingOccurrences(of: #""fields":[]"#, with: #""details":{"k":1},"fields":[]"#), "malformed_leaf"),
            (canonical.replacingOccurrences(of: #""v":1"#, with: #""v":1,"zz":"secret""#), "malformed_leaf"),
            ("[" + canonical + "]", "malformed_leaf"),
            (canonical + " x", "malformed_json"),
        ]
        for (text, code) in cases {
            #expect(text != canonical)
            let error = #expect(throws: AuditError.self) { try AuditEntry(leafBytes: Array(text.utf8)) }
            #expect(error?.code == code, "\(text)")
            // Attacker-chosen keys and values are not echoed back.
            #expect(error.map { !String(describing: $0).contains("secret") } ?? true)
        }
    }
}

@Suite("Audit timestamps")
struct AuditTimestampTests {
    @Test func knownInstants() {
        #expect(AuditTimestamp(millisecondsSince1970: 0)?.rfc3339 == "1970-01-01T00:00:00.000Z")
        #expect(AuditTimestamp(millisecondsSince1970: 1_709_164_800_001)?.rfc3339 == "2024-02-29T00:00:00.001Z")
        #expect(AuditTimestamp(millisecondsSince1970: 951_868_799_999)?.rfc3339 == "2000-02-29T23:59:59.999Z")
        #expect(AuditTimestamp(millisecondsSince1970: -1)?.rfc3339 == "1969-12-31T23:59:59.999Z")
        #expect(AuditTimestamp(rfc3339: "9999-12-31T23:59:59.999Z") != nil)
        #expect(AuditTimestamp(rfc3339: "0000-01-01T00:00:00.000Z") != nil)
        #expect(AuditTimestamp(millisecondsSince1970: 253_402_300_800_000) == nil)
    }

    @Test(arguments: [
        "2026-11-23T02:31:07Z", "2026-11-23T02:31:07.04Z", "2026-11-23T02:31:07.0450Z", "2026-11-23t02:31:07.045Z",
        "2026-11-23T02:31:07.045z", "2026-11-23T02:31:07.045+00:00", "2026-13-01T00:00:00.000Z", "2026-00-01T00:00:00.000Z",
        "2026-02-29T00:00:00.000Z", "2100-02-29T00:00:00.000Z", "2026-04-31T00:00:00.000Z", "2026-01-01T24:00:00.000Z",
        "2026-01-01T00:60:00.000Z", "2016-12-31T23:59:60.000Z", "+026-01-01T00:00:00.000Z", "2026-01-01 00:00:00.000Z",
    ])
    func rejectsOtherForms(text: String) {
        #expect(AuditTimestamp(rfc3339: text) == nil)
    }

    @Test func agreesWithFoundationAndRoundTrips() throws {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        formatter.timeZone = TimeZone(identifier: "UTC")
        var random = SplitMix64(state: 7)
        for _ in 0..<2000 {
            let millis = Int64.random(in: -2_000_000_000_000...4_000_000_000_000, using: &random)
            let stamp = try #require(AuditTimestamp(millisecondsSince1970: millis))
            #expect(formatter.date(from: stamp.rfc3339).map { AuditTimestamp($0) } == stamp, "\(millis)")
            #expect(AuditTimestamp(rfc3339: stamp.rfc3339) == stamp)
            #expect(AuditTimestamp(stamp.date) == stamp)
        }
        #expect(AuditTimestamp(Date(timeIntervalSince1970: 1.0009)).millisecondsSince1970 == 1000)
        #expect(AuditTimestamp(Date(timeIntervalSince1970: -0.0005)).millisecondsSince1970 == -1)
    }
}
