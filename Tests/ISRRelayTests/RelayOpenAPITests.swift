import Foundation
import ISRRelayAPI
import ISRPolicy
import ISRRelay
import ISRStore
import Testing

@Suite struct RelayOpenAPITests {
    /// `(METHOD, /path/{param})` for every operation in the document (its own simple, fixed layout).
    static func documented() -> Set<String> {
        var operations = Set<String>()
        var path: String?
        for line in OpenAPIDocument.text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("  /"), line.hasSuffix(":") {
                path = String(line.dropFirst(2).dropLast())
            } else if line.hasPrefix("components:") {
                path = nil
            } else if let path, let method = ["get", "post", "put", "delete", "patch"].first(where: { line == "    \($0):" }) {
                operations.insert("\(method.uppercased()) \(path)")
            }
        }
        return operations
    }

    @Test func everyRegisteredRouteIsDocumentedAndViceVersa() async throws {
        let relay = try await RelayHarness.start()
        defer { Task { await relay.stop() } }
        let router = RelayRoutes.router(service: relay.service, policyText: "", openAPI: OpenAPIDocument.text)
        let registered = Set(router.routes.map { route in
            let path = "\(route.path)".split(separator: "/").map { $0.hasPrefix(":") ? "{\($0.dropFirst())}" : String($0) }.joined(separator: "/")
            return "\(route.method) /\(path)"
        })
        #expect(registered.count == 45)
        #expect(registered.subtracting(Self.documented()).isEmpty, "undocumented routes: \(registered.subtracting(Self.documented()).sorted())")
        #expect(Self.documented().subtracting(registered).isEmpty, "documented but not served: \(Self.documented().subtracting(registered).sorted())")
        let served = try await relay.request(relay.admin, .get, "/v1/openapi.yaml")
        #expect(served.text == OpenAPIDocument.text && served.contentType == "application/yaml")
    }

    /// The values of an `enum: [a, b]` on the document line that contains `marker`.
    static func enumValues(after marker: String) throws -> [String] {
        let line = try #require(OpenAPIDocument.text.split(separator: "\n").first { $0.contains(marker) }, "\(marker) is in the document")
        let list = try #require(line.range(of: "enum: [").map { line[$0.upperBound...].prefix { $0 != "]" } })
        return list.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
    }

    /// The enums the document states are the ones the relay enforces: agency kinds from `config/policy.toml`, roles from
    /// the store (schemathesis would otherwise send valid-looking kinds the relay refuses, or miss ones it accepts).
    @Test func theDocumentsEnumsAreThePolicysAndTheStoresValues() throws {
        let policy = try Policy.load(from: RelayHarness.repository.appendingPathComponent("config/policy.toml").path)
        #expect(try Set(Self.enumValues(after: "description: \"one of the policy's agency kinds")) == Set(policy.agencyKinds))
        #expect(try Self.enumValues(after: "    Role: {type: string") == Member.Role.allCases.map(\.rawValue))
    }
}
