import Foundation

/// `config.json` in a practitioner's home: who they are, which relay they use, and the admin key they pinned at enrolment.
public struct HomeConfig: Codable, Sendable, Equatable {
    public var member: String
    public var displayName: String
    /// e.g. `https://localhost:8443`: the relay this home was enrolled through, tried first.
    public var relayUrl: String
    /// The deployment's other relay instances, tried in order after `relayUrl` when it cannot be reached
    /// (`isr config relays URL,URL…`).
    public var otherRelayUrls: [String]?
    /// Set by `isr enrol`: the admin who vouched for the directory, and their Ed25519 key (base64).
    public var adminId: String?
    public var adminKey: String?
    /// Which of the member's devices this home is (absent: `primary`, the one they enrolled first).
    public var device: String?

    /// The relay URLs to try, in order: `ISR_RELAY_URL` (one URL or a comma-separated list) for one command, else
    /// this home's.
    public func relays(environment: [String: String]) -> [String] {
        if let override = environment["ISR_RELAY_URL"].map(Self.split), !override.isEmpty { return override }
        return [relayUrl] + (otherRelayUrls ?? []).filter { $0 != relayUrl }
    }

    /// A comma-separated list of URLs, trimmed, without empties.
    public static func split(_ list: String) -> [String] {
        list.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    /// This home's device name.
    public var deviceName: String { device ?? "primary" }

    public init(member: String, displayName: String, relayUrl: String, adminId: String? = nil, adminKey: String? = nil, device: String? = nil) {
        self.device = device
        self.member = member
        self.displayName = displayName
        self.relayUrl = relayUrl
        self.adminId = adminId
        self.adminKey = adminKey
    }
}
