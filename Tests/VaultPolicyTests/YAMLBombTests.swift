import Foundation
import Testing
import VaultPolicy

#if canImport(Glibc)
import Glibc
#endif

/// A policy file is input an operator may have been handed: YAML's expansion and nesting must not
/// let a few hundred bytes cost minutes and gigabytes before anything is validated.
@Suite("YAML bombs")
struct YAMLBombTests {
    /// "Billion laughs": nine levels of nine aliases, 407 bytes, 9⁹ strings once composed.
    static let aliasBomb = """
        a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
        b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
        c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
        d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
        e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
        f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
        g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
        h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
        i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
        """

    /// Kilobytes of resident memory at most ever used by this process.
    private func peakResidentKilobytes() -> Int {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return usage.ru_maxrss
    }

    private func refusal(_ yaml: String) -> (diagnostics: [String], seconds: Double, growthKB: Int) {
        let before = peakResidentKilobytes()
        let clock = ContinuousClock()
        var diagnostics: [String] = []
        let elapsed = clock.measure {
            do throws(PolicyValidationError) {
                _ = try Policy.parse(yaml: yaml, fileName: "bomb.yaml")
            } catch {
                diagnostics = error.diagnostics.map { "\($0.line):\($0.column) \($0.rule)" }
            }
        }
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        return (diagnostics, seconds, peakResidentKilobytes() - before)
    }

    @Test("a 407-byte alias bomb is refused at its first anchor, in milliseconds and without memory to speak of")
    func aliasBomb() {
        #expect(Self.aliasBomb.utf8.count < 420)
        let (diagnostics, seconds, growth) = refusal(Self.aliasBomb)
        #expect(diagnostics == ["1:4 yaml_alias"])
        #expect(seconds < 1, "took \(seconds) s")
        #expect(growth < 50_000, "peak memory grew by \(growth) KB")
    }

    @Test("deep nesting and huge files are refused before composing")
    func nestingAndSize() {
        // Block mappings nested 200 deep (libyaml itself gives up on deep flow nesting).
        let deep = (0..<200).map { String(repeating: "  ", count: $0) + "a:\n" }.joined()
        let (diagnostics, seconds, _) = refusal(deep)
        #expect(diagnostics == ["33:\(2 * 32 + 1) too_large"], "\(diagnostics)")
        #expect(seconds < 1)
        let flow = "fields: " + String(repeating: "[", count: 5_000) + String(repeating: "]", count: 5_000)
        #expect(refusal(flow).diagnostics.count == 1)
        let wide = "fields: [" + Array(repeating: "x", count: 30_000).joined(separator: ",") + "]"
        #expect(refusal(wide).diagnostics.first?.hasSuffix("too_large") == true)
        let huge = "description: " + String(repeating: "x", count: 2 << 20)
        #expect(refusal(huge).diagnostics == ["1:1 too_large"])
    }
}
