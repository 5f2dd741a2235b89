import Foundation

/// `config.json` in a practitioner's home: who they are, which relay they use, and the admin key they pinned at enrolment.
public struct HomeConfig: Codable, Sendable, Equatable {
    public var member: String
    public var displayName: String
    /// e.g. `https://localhost:8443`
    public var relayUrl: String
    /// Set by `isr enrol`: the admin who vouched for the directory, and their Ed25519 key (base64).
    public var adminId: String?
    public var adminKey: String?
    /// Which of the member's devices this home is (absent: `primary`, the one they enrolled first).
    public var device: String?

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
