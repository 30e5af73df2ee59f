import Foundation
import Testing
import VaultFormat
import VaultPolicy

@testable import Vault

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

    @Test("decimals convert to hundredths exactly, from the literal text, and refuse more places")
    func decimals() throws {
        #expect(FieldCodec.cents(try JSONValue.parse(Data("49.9".utf8))) == 4990)
        #expect(FieldCodec.cents(try JSONValue.parse(Data("0.07".utf8))) == 7)
        #expect(FieldCodec.cents(try JSONValue.parse(Data("-0.05".utf8))) == -5)
        #expect(FieldCodec.cents(try JSONValue.parse(Data("12".utf8))) == 1200)
        #expect(FieldCodec.cents(try JSONValue.parse(Data("1.005".utf8))) == nil)
        #expect(FieldCodec.cents(try JSONValue.parse(Data("1e2".utf8))) == nil)
        #expect(FieldCodec.cents(try JSONValue.parse(Data("99999999999999999999".utf8))) == nil)
        var json = JSONWriter()
        json.decimal(-5)
        #expect(json.text == "-0.05")
    }

    @Test("the JSON reader is strict and never quotes its input")
    func jsonReader() throws {
        #expect(
            try JSONValue.parse(Data(#"{"a":[1,-2.5,true,null,"x\u00e9\ud83d\ude00\n"]}"#.utf8))
                == .object(["a": .array([.number("1"), .number("-2.5"), .bool(true), .null, .string("xé😀\n")])])
        )
        for bad in [
            #"{"a":1,"a":2}"#, "[01]", "[1.]", #"{"a" 1}"#, "[1,]", #""\ud800""#, "\"tab\there\"", "[1] x", String(repeating: "[", count: 100),
        ] {
            do {
                _ = try JSONValue.parse(Data(bad.utf8))
                Issue.record("accepted malformed JSON")
            } catch {
                #expect(error.code == .malformedJson)
            }
        }
        do {
            _ = try JSONValue.parse(Data(#"{"secret-value-123": "#.utf8))
        } catch {
            #expect(!error.message.contains("secret-value-123"))
        }
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
