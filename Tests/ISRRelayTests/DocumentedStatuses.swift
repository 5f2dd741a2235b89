import ISRRelay
import Testing

/// The statuses `openapi.yaml` declares for each operation, read from its fixed layout. Every reply a relay test gets
/// through `RelayEndpoint.request` (in-process relays and the real `isr-relay` alike) is checked against them, so the
/// document cannot fall behind what the relay answers; schemathesis checks the same from generated requests in CI.
enum DocumentedStatuses {
    struct Operation {
        let method: String
        let segments: [Substring]
        let statuses: Set<Int>
    }

    static let operations: [Operation] = parse(OpenAPIDocument.text)

    static func parse(_ text: String) -> [Operation] {
        var operations: [Operation] = []
        var path: String?
        var current: (method: String, statuses: Set<Int>)?
        func finish() {
            if let path, let current { operations.append(Operation(method: current.method, segments: path.split(separator: "/"), statuses: current.statuses)) }
            current = nil
        }
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("components:") { break }
            if line.hasPrefix("  /"), line.hasSuffix(":") {
                finish()
                path = String(line.dropFirst(2).dropLast())
            } else if let method = ["get", "post", "put", "delete", "patch"].first(where: { line == "    \($0):" }) {
                finish()
                current = (method.uppercased(), [])
            } else if current != nil, line.hasPrefix("        \""), let status = Int(line.dropFirst(9).prefix(3)) {
                current?.statuses.insert(status)
            }
        }
        finish()
        return operations
    }

    /// The operation a request goes to: same method, same number of segments, literal segments equal.
    static func operation(_ method: String, _ path: String) -> Operation? {
        let segments = (path.split(separator: "?", maxSplits: 1).first ?? "").split(separator: "/")
        return operations.first { operation in
            operation.method == method && operation.segments.count == segments.count
                && zip(operation.segments, segments).allSatisfy { template, actual in template.hasPrefix("{") || template == actual }
        }
    }

    /// Records an issue when a documented operation answered a status its document does not declare. Requests to no
    /// operation (an unknown path, an undeclared method) are answered 404 or 405 by the relay as a whole.
    static func check(_ method: String, _ path: String, _ status: Int, sourceLocation: SourceLocation = #_sourceLocation) {
        guard let operation = operation(method, path) else {
            #expect([404, 405].contains(status), "\(method) \(path) is no operation of openapi.yaml, yet answered \(status)", sourceLocation: sourceLocation)
            return
        }
        #expect(operation.statuses.contains(status),
                "\(method) \(path) answered \(status), which openapi.yaml does not declare for it (\(operation.statuses.sorted()))", sourceLocation: sourceLocation)
    }
}
