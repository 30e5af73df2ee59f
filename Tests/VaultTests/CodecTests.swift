import Foundation
import Testing
@testable import Vault
import VaultPolicy

@Suite("Profile encoding")
struct CodecTests {
    @Test("records round-trip through the binary codec, and truncations are refused")
    func roundTrip() throws {
        let customer = SyntheticCustomers(seed: 3, asOf: Date(timeIntervalSince1970: 1_795_392_000)).customer(17)
        let bytes = ProfileCodec.encode(customer.fields)
        #expect(try ProfileCodec.decode(bytes) == customer.fields)
        for cut in stride(from: 0, to: bytes.count - 1, by: max(1, bytes.count / 50)) {
            #expect(throws: VaultError.self) { _ = try ProfileCodec.decode(Array(bytes.prefix(cut))) }
        }
        #expect(throws: VaultError.self) { _ = try ProfileCodec.decode(bytes + [0]) }
    }

    @Test("dates: valid ones round-trip, impossible ones are refused")
    func dates() {
        #expect(FieldCodec.day("1970-01-01") == 0)
        #expect(FieldCodec.day("2024-02-29").map(FieldCodec.dateString) == "2024-02-29")
        #expect(FieldCodec.day("2026-02-29") == nil)
        #expect(FieldCodec.day("2026-13-01") == nil)
        #expect(FieldCodec.day("26-01-01") == nil)
        #expect(FieldCodec.dateString(20_000) == "2024-10-04")
    }

    @Test("decimals keep exactly two places and refuse more")
    func decimals() {
        #expect(FieldCodec.cents(.number(49.9)) == 4990)
        #expect(FieldCodec.cents(.number(0.07)) == 7)
        #expect(FieldCodec.cents(.integer(12)) == 1200)
        #expect(FieldCodec.cents(.number(1.005)) == nil)
        #expect(FieldCodec.cents(.number(.infinity)) == nil)
        var json = JSONWriter()
        json.decimal(-5)
        #expect(json.text == "-0.05")
    }

    @Test("import lines written by the generator parse back to the same customer")
    func importLineRoundTrip() throws {
        let policy = try Policy.parse(yaml: Vault.defaultPolicyText, fileName: "default.yaml")
        let generator = SyntheticCustomers(seed: 8, asOf: Date(timeIntervalSince1970: 1_795_392_000))
        for index in 0..<50 {
            let customer = generator.customer(index)
            #expect(try CustomerRecord.parse(line: Data(customer.jsonLine(policy: policy).utf8), policy: policy) == customer)
        }
    }
}
