/// One set of a member's public keys: a device's current keys, or keys it held before a re-key or lost with a device.
/// The member's row holds their primary device's current keys; every other set is one of these, so packets signed or
/// sealed with an earlier key stay attributable and the directory can show the history.
public struct MemberKey: Sendable, Equatable {
    public enum State: String, Sendable, Codable, CaseIterable {
        /// In use: senders seal to it, the relay accepts its certificate.
        case active
        /// Replaced by `isr rekey`: still verifies what it signed; the member keeps its private half to read old packets.
        case retired
        /// Revoked with its device (lost, or the member reset): nothing new is accepted from or sealed to it.
        case revoked
    }

    /// A device is named by its member (`laptop`, `tablet`); the first one is `primary`.
    public static let primaryDevice = "primary"
    /// A member has at most this many active devices.
    public static let maximumActiveDevices = 8

    public var device: String
    /// Ed25519, 32 bytes.
    public var signingKey: [UInt8]
    /// X25519, 32 bytes.
    public var encryptionKey: [UInt8]
    /// SHA-256 of the device's client certificate (lowercase hex), for an active key.
    public var certificateFingerprint: String?
    public var certificateExpiresAt: Int64?
    /// The admin-signed directory entry for these keys.
    public var directoryEntry: [UInt8]?
    public var state: State
    /// Unix milliseconds.
    public var createdAt: Int64
    /// When the key was retired or revoked (Unix milliseconds).
    public var endedAt: Int64?

    public init(device: String, signingKey: [UInt8], encryptionKey: [UInt8], certificateFingerprint: String?, certificateExpiresAt: Int64?,
                directoryEntry: [UInt8]?, state: State, createdAt: Int64, endedAt: Int64? = nil) {
        self.device = device
        self.signingKey = signingKey
        self.encryptionKey = encryptionKey
        self.certificateFingerprint = certificateFingerprint
        self.certificateExpiresAt = certificateExpiresAt
        self.directoryEntry = directoryEntry
        self.state = state
        self.createdAt = createdAt
        self.endedAt = endedAt
    }

    /// A device name: 1–40 lowercase letters, digits and hyphens, so it reads the same in every listing.
    public static func isValidDeviceName(_ name: String) -> Bool {
        (1...40).contains(name.utf8.count) && name.utf8.allSatisfy { ($0 >= 0x61 && $0 <= 0x7a) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2d }
    }
}

extension Member {
    /// The primary device's current keys, as a key set (revoked with the member).
    public var primaryKey: MemberKey {
        MemberKey(device: device, signingKey: signingKey, encryptionKey: encryptionKey, certificateFingerprint: certificateFingerprint,
                  certificateExpiresAt: certificateExpiresAt, directoryEntry: directoryEntry, state: status == .active ? .active : .revoked, createdAt: keysSince ?? enrolledAt)
    }

    /// Every key set: the primary device's first, then other devices' and earlier keys, oldest first.
    public var allKeys: [MemberKey] { [primaryKey] + otherKeys }

    /// The key sets senders seal to: every active device, while the member is active.
    public var activeKeys: [MemberKey] { status == .active ? allKeys.filter { $0.state == .active } : [] }

    /// This member as one of their devices sees them: that device's keys and certificate in the primary fields, so every
    /// check of what a request signed uses the key of the device that signed it.
    public func viewed(from key: MemberKey) -> Member {
        var view = self
        view.device = key.device
        view.signingKey = key.signingKey
        view.encryptionKey = key.encryptionKey
        view.certificateFingerprint = key.certificateFingerprint ?? certificateFingerprint
        view.certificateExpiresAt = key.certificateExpiresAt
        view.directoryEntry = key.directoryEntry
        return view
    }
}
