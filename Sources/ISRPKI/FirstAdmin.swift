import Foundation
import ISRCrypto
import ISRPacket

/// `first-admin.json`: the deployment's first admin, registered (with their agency) when the relay starts on
/// an empty store. Written by the development deployment, or by `isr admin init` for production.
public struct FirstAdmin: Codable, Sendable, Equatable {
    public var id: String
    public var displayName: String
    public var agencyName: String
    public var agencyKind: String
    /// Base64 Ed25519 and X25519 public keys.
    public var signingKey: String
    public var encryptionKey: String
    /// SHA-256 of the admin's DER client certificate, lowercase hex.
    public var certificateFingerprint: String
    /// Base64 `SignedDirectoryEntry` the admin signed for themselves: the key clients pin.
    public var directoryEntry: String

    public init(id: String, displayName: String, agencyName: String, agencyKind: String, signingKey: String, encryptionKey: String,
                certificateFingerprint: String, directoryEntry: String) {
        self.id = id
        self.displayName = displayName
        self.agencyName = agencyName
        self.agencyKind = agencyKind
        self.signingKey = signingKey
        self.encryptionKey = encryptionKey
        self.certificateFingerprint = certificateFingerprint
        self.directoryEntry = directoryEntry
    }

    public static var coders: (JSONEncoder, JSONDecoder) { (ISRJSON.encoder(pretty: true), ISRJSON.decoder()) }
}
