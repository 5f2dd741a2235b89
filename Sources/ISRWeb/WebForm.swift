import Foundation
import Hummingbird
import ISRRecord

/// An `application/x-www-form-urlencoded` form, bounded in size, with repeated names kept in order (several recipients,
/// several items).
struct WebForm: Sendable {
    static let maximumBytes = 256 * 1024
    let pairs: [(name: String, value: String)]

    init(request: inout Request, context: some RequestContext) async throws {
        let buffer = try await request.collectBody(upTo: Self.maximumBytes)
        var components = URLComponents()
        components.percentEncodedQuery = String(buffer: buffer).replacingOccurrences(of: "+", with: "%20")
        pairs = (components.queryItems ?? []).map { ($0.name, $0.value ?? "") }
    }

    /// The first value of `name`, trimmed; nil if absent or empty.
    func value(_ name: String) -> String? {
        pairs.first { $0.name == name }.map { $0.value.trimmingCharacters(in: .whitespacesAndNewlines) }.flatMap { $0.isEmpty ? nil : $0 }
    }

    /// Every non-empty value of `name`, in order.
    func values(_ name: String) -> [String] {
        pairs.filter { $0.name == name }.map { $0.value.trimmingCharacters(in: .whitespacesAndNewlines) }.filter { !$0.isEmpty }
    }
}

/// HTML escaping for the few strings not rendered through a template (the record's, shared).
typealias WebText = HTMLText
