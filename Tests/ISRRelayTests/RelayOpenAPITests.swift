import Foundation
import ISRRelayAPI
import ISRRelay
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
        #expect(registered.count == 44)
        #expect(registered.subtracting(Self.documented()).isEmpty, "undocumented routes: \(registered.subtracting(Self.documented()).sorted())")
        #expect(Self.documented().subtracting(registered).isEmpty, "documented but not served: \(Self.documented().subtracting(registered).sorted())")
        let served = try await relay.request(relay.admin, .get, "/v1/openapi.yaml")
        #expect(served.text == OpenAPIDocument.text && served.contentType == "application/yaml")
    }
}
