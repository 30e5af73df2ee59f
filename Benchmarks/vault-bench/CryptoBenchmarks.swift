/// Crypto benchmarks (filled in by the crypto work).
enum CryptoBenchmarks {
    static func run(_ options: BenchOptions) {}
}
