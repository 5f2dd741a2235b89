import Foundation

/// Shared JSON shapes of the relay API.
/// A base64 signature in a JSON body (delivery receipts, countersignatures).
public struct SignatureBody: Codable, Sendable {
    public let signature: String

    public init(signature: String) {
        self.signature = signature
    }
}

/// A countersigner's signed return of a held packet to its sender, with the reasons the sender is given.
public struct ReturnBody: Codable, Sendable {
    public let signature: String
    public let reason: String

    public init(signature: String, reason: String) {
        self.signature = signature
        self.reason = reason
    }
}

/// The list wrappers the API returns (a JSON object at the top level, so it can grow). Paged lists carry `next`:
/// pass it as `?before=` for the following (older) page; absent on the last page.
public struct ListBody<Item: Codable & Sendable>: Codable, Sendable {
    public let items: [Item]
    public let next: String?

    public init(items: [Item], next: String? = nil) {
        self.items = items
        self.next = next
    }
}

public struct Health: Codable, Sendable {
    public let status: String
    public let version: String

    public init(status: String, version: String) {
        self.status = status
        self.version = version
    }
}
