import Foundation

/// Shared JSON shapes of the relay API.
/// A base64 signature in a JSON body (delivery receipts, countersignatures).
public struct SignatureBody: Codable, Sendable {
    public let signature: String

    public init(signature: String) {
        self.signature = signature
    }
}

/// The list wrappers the API returns (a JSON object at the top level, so it can grow).
public struct ListBody<Item: Codable & Sendable>: Codable, Sendable {
    public let items: [Item]

    public init(items: [Item]) {
        self.items = items
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
