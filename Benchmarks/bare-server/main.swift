// The bare-stack baseline for Benchmarks/wrk/run.sh: Hummingbird, the same version and server
// settings `cvault serve` uses, answering the same two routes with a fixed JSON body of the size
// of a customer's profile (no authentication, no policy, no storage, no audit). Every wrk run
// reports the vault's figures as a ratio against this server, measured in the same sitting.
//
//   bare-server [--port 18190] [--bytes 1200]
import Foundation
import Hummingbird

var port = 18190
var size = 1200
var arguments = CommandLine.arguments.dropFirst()
while let flag = arguments.popFirst() {
    guard let value = arguments.popFirst().flatMap(Int.init) else {
        FileHandle.standardError.write(Data("bare-server: \(flag) needs a number (usage: bare-server [--port N] [--bytes N])\n".utf8))
        exit(2)
    }
    switch flag {
    case "--port": port = value
    case "--bytes": size = value
    default:
        FileHandle.standardError.write(Data("bare-server: unknown option \(flag) (usage: bare-server [--port N] [--bytes N])\n".utf8))
        exit(2)
    }
}

// A JSON object of `size` bytes shaped like a profile: string fields of a plausible length.
var body = "{\"customer_id\":\"c-0000001\",\"fields\":{"
var field = 0
while body.utf8.count < size - 40 {
    body += (field == 0 ? "" : ",") + "\"field_\(field)\":\"\(String(repeating: "x", count: 24))\""
    field += 1
}
body += "},\"purpose\":null}"
let bytes = ByteBuffer(string: body)

let router = Router()
router.get("healthz") { _, _ in "ok" }
router.get("v1/me") { _, _ in
    Response(status: .ok, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: bytes))
}
router.get("v1/customers/{id}") { _, _ in
    Response(status: .ok, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: bytes))
}
// No request logging, as `cvault serve` under the benchmark (CVAULT_LOG_LEVEL=warning).
let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: port)))
try await app.runService()
