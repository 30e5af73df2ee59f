import Foundation

/// The databases tests run against: SQLite files always, and a real PostgreSQL server when
/// `.ci/with-postgres` (or the developer) names one in `CVAULT_TEST_POSTGRES_URL`.
public enum TestDatabases {
    /// The server URL tests may create databases on, if any; without one, says loudly (once) that
    /// the PostgreSQL tests are skipped.
    public static let postgresURL: String? = {
        guard let url = ProcessInfo.processInfo.environment["CVAULT_TEST_POSTGRES_URL"], !url.isEmpty else {
            FileHandle.standardError.write(
                Data(
                    """

                    ************************************************************************************
                    * CVAULT_TEST_POSTGRES_URL is not set: the PostgreSQL tests are SKIPPED.           *
                    * Run them with a throwaway server: .ci/with-postgres swift test                   *
                    ************************************************************************************

                    """.utf8
                )
            )
            return nil
        }
        return url
    }()

    /// Whether the facade tests run on PostgreSQL (`CVAULT_TEST_BACKEND=postgres`) instead of SQLite.
    public static let facadeOnPostgres: Bool = ProcessInfo.processInfo.environment["CVAULT_TEST_BACKEND"] == "postgres"

    /// A new, empty database on the test server (made with `createdb`, which reads the server's
    /// address and password from the environment `.ci/with-postgres` sets), as a URL.
    public static func freshPostgresDatabase() throws -> String {
        guard let server = postgresURL, var url = URLComponents(string: server) else {
            throw TestDatabaseError(description: "CVAULT_TEST_POSTGRES_URL is not set: run the tests under .ci/with-postgres")
        }
        let name = "cvt_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased().prefix(20)
        let result = try ChildProcess.run(
            "createdb",
            [
                "--host", url.host ?? "127.0.0.1", "--port", String(url.port ?? 5432),
                "--username", url.user ?? "cvault", String(name),
            ]
        )
        guard result.status == 0 else {
            throw TestDatabaseError(description: "createdb \(name) failed with status \(result.status): \(result.stderr)")
        }
        url.path = "/" + name
        return url.string ?? server
    }
}

/// Why a test database could not be made.
public struct TestDatabaseError: Error, CustomStringConvertible {
    /// What went wrong.
    public let description: String

    /// An error saying `description`.
    public init(description: String) { self.description = description }
}
