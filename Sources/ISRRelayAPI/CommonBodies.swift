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

/// One live event for a member (`GET /v1/events`, server-sent): what happened to which packet, when a deadline falls —
/// never content, subject references or names. `id` is the audit leaf that recorded it, so a client resumes with
/// `Last-Event-ID`.
public struct RelayEventBody: Codable, Sendable, Equatable {
    public let id: UInt64
    /// `new-packet`, `held-for-countersignature`, `read-back-received`, `confirmed`, `clarification-requested`, `returned`
    /// or `escalation`.
    public let kind: String
    /// The packet to act on: for a read-back, confirmation or clarification, the original it answers.
    public let packet: String?
    /// For a read-back, confirmation or clarification, the answering packet itself.
    public let reply: String?
    public let packetKind: String?
    public let purpose: String?
    /// Unix milliseconds: when a read-back (or countersignature) is due.
    public let deadline: Int64?
    public let time: Int64

    public init(id: UInt64, kind: String, packet: String?, reply: String? = nil, packetKind: String?, purpose: String?, deadline: Int64?, time: Int64) {
        self.reply = reply
        self.id = id
        self.kind = kind
        self.packet = packet
        self.packetKind = packetKind
        self.purpose = purpose
        self.deadline = deadline
        self.time = time
    }
}
