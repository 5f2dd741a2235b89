import Foundation
import HTTPTypes
import ISRRelayAPI
import Testing

/// What a fuzzer found, fixed: proofs asked beyond the log are the client's mistake (400), not a damaged store (503);
/// a known path asked with an undeclared method answers 405 with `Allow`.
@Suite(.serialized) struct RelayHardeningTests {
    @Test func proofsBeyondTheLogAreBadRequestsNotStoreFailures() async throws {
        let relay = try await RelayHarness.start()
        defer { Task { await relay.stop() } }
        for path in ["/v1/audit/inclusion?index=571&size=1", "/v1/audit/consistency?new=1099511627776&old=0", "/v1/audit/inclusion?index=0&size=1099511627776",
                     "/v1/audit/consistency?old=5&new=2"] {
            let reply = try await relay.request(relay.admin, .get, path)
            #expect(reply.status == .badRequest && reply.problemCode == "audit.range", "\(path): \(reply.status) \(reply.text)")
        }
    }

    @Test func anUndeclaredMethodOnAKnownPathIs405WithAllow() async throws {
        let relay = try await RelayHarness.start()
        defer { Task { await relay.stop() } }
        for (method, path, allow) in [(HTTPRequest.Method.trace, "/v1/inbox", "GET"), (.delete, "/v1/packets/00112233445566778899aabbccddeeff", "GET"),
                                      (.put, "/v1/packets", "POST"), (.post, "/v1/audit/checkpoint", "GET")] {
            let reply = try await relay.request(relay.admin, method, path)
            #expect(reply.status == .methodNotAllowed && reply.problemCode == "http.405", "\(method) \(path): \(reply.status) \(reply.text)")
            #expect(reply.headers[.allow] == allow, "\(method) \(path)")
        }
        #expect(try await relay.request(relay.admin, .get, "/v1/nothing-here").status == .notFound)
    }
}
