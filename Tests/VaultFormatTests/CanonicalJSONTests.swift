import Testing
import VaultFormat

@Suite("Canonical JSON")
struct JSONValueTests {
    func text(_ value: JSONValue) -> String { String(decoding: value.canonicalBytes, as: UTF8.self) }

    func parse(_ text: String) throws -> JSONValue { try JSONValue(parsingCanonical: Array(text.utf8)) }

    @Test func keysSortByUTF8Bytes() {
        let value = JSONValue.object([
            "b": .integer(1), "a": .integer(2), "aa": .integer(3), "A": .integer(4), "é": .integer(5), "z": .integer(6), "": .integer(7),
        ])
        #expect(text(value) == #"{"":7,"A":4,"a":2,"aa":3,"b":1,"z":6,"é":5}"#)
    }

    @Test func stringsEscapeMinimally() {
        let value = JSONValue.string("\"\\\u{8}\t\n\u{C}\r\u{0}\u{1}\u{1F}\u{7F}/\u{2028}é😀")
        #expect(text(value) == "\"\\\"\\\\\\b\\t\\n\\f\\r\\u0000\\u0001\\u001f\u{7F}/\u{2028}é😀\"")
    }

    /// RFC 8785 §3.2.2.2's string example.
    @Test func rfc8785StringExample() throws {
        let input = #""\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/""#
        #expect(text(try parse(input)) == #""€$\u000f\nA'B\"\\\\\"/""#)
    }

    @Test func numbersAndLiterals() {
        let value = JSONValue.array([
            .integer(0), .integer(-1), .integer(.max), .integer(.min), .bool(true), .bool(false), .null, .array([]), .object([:]),
        ])
        #expect(text(value) == "[0,-1,9223372036854775807,-9223372036854775808,true,false,null,[],{}]")
    }

    @Test func roundTrips() throws {
        let value = JSONValue.object([
            "list": .array([.string("x"), .integer(42), .object(["nested": .array([.null, .bool(true)])])]),
            "text": .string("line\nbreak \u{1} \"quoted\" ünïcødé 😀"),
            "empty": .string(""),
        ])
        #expect(try JSONValue(parsingCanonical: value.canonicalBytes) == value)
        #expect(try parse(text(value)).canonicalBytes == value.canonicalBytes)
    }

    @Test func parsesNonCanonicalSpellingsToTheSameValue() throws {
        let canonical = try parse(#"{"a":["x",1],"b":"é"}"#)
        for spelling in [#" { "b" : "\u00e9" , "a" : [ "x" , 1 ] } "#, "{\"a\":[\"\\u0078\",1],\n\"b\":\"é\"}"] {
            let parsed = try parse(spelling)
            #expect(parsed.canonicalBytes == canonical.canonicalBytes)
            #expect(parsed.canonicalBytes != Array(spelling.utf8))
        }
        #expect(try parse(#""\ud83d\ude00""#) == .string("😀"))
    }

    @Test(arguments: [
        "", " ", "{", "[1,]", "{\"a\":1,}", "{\"a\" 1}", "{1:2}", "[1 2]", "01", "-", "-01", "1.5", "1e3", "1E3",
        "9223372036854775808", "-9223372036854775809", "\"abc", "\"\\x\"", "\"\\u12\"", "\"\\ud800\"", "\"\\udc00\"",
        "\"\\ud800\\u0041\"", "\"a\u{1}b\"", "\"tab\there\"", "tru", "nul", "{\"a\":1,\"a\":2}", "[1] [2]", "'a'",
    ])
    func rejectsMalformedJSON(text: String) {
        let error = #expect(throws: JSONSyntaxError.self) { try parse(text) }
        #expect(error?.reason.isEmpty == false)
    }

    @Test func rejectsInvalidUTF8AndDeepNesting() throws {
        for bytes: [UInt8] in [[0x22, 0xC3, 0x28, 0x22], [0x22, 0xED, 0xA0, 0x80, 0x22], [0x22, 0xC0, 0xAF, 0x22], [0x22, 0xFF, 0x22]] {
            #expect(throws: JSONSyntaxError.self) { try JSONValue(parsingCanonical: bytes) }
        }
        let deep = String(repeating: "[", count: 33) + String(repeating: "]", count: 33)
        #expect(throws: JSONSyntaxError.self) { try parse(deep) }
        let allowed = String(repeating: "[", count: 32) + String(repeating: "]", count: 32)
        #expect(try parse(allowed).canonicalBytes == Array(allowed.utf8))
    }

    @Test func canonicalReadingNormalizesIntegersSoTheSpellingCheckCatchesThem() throws {
        let negativeZero = try parse("-0")
        #expect(negativeZero == .integer(0) && negativeZero.canonicalBytes != Array("-0".utf8))
        #expect(try parse("[-42]") == .array([.integer(-42)]))
    }

    @Test func generalReadingKeepsNumbersAsWritten() throws {
        let value = try JSONValue(parsing: Array(#"{"price":49.90,"big":1e400,"n":-0}"#.utf8))
        #expect(value == .object(["price": .number("49.90"), "big": .number("1e400"), "n": .number("-0")]))
        #expect(JSONValue.number("49.90").integer == nil && JSONValue.number("12").integer == 12)
        let deep = String(repeating: "[", count: 65) + String(repeating: "]", count: 65)
        #expect(throws: JSONSyntaxError.self) { try JSONValue(parsing: Array(deep.utf8)) }
        let error = #expect(throws: JSONSyntaxError.self) { try JSONValue(parsing: Array(#"{"a":1,"a":2}"#.utf8)) }
        #expect(error?.description == "a member name appears twice in one object at byte 12")
    }
}
