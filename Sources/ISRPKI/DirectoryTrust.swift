import ISRCrypto
import ISRPacket

/// How a client decides that a directory entry speaks for the deployment: signed by the deployment admin whose key it
/// pinned at enrolment, or by an admin whose own entry that deployment admin signed with an authority covering the
/// member's agency (`deployment`, or `agency:<id>` for an agency admin) and who is still active. One level of delegation:
/// only the pinned deployment admin can make admins.
public struct DirectoryTrust: Sendable {
    public let root: MemberID
    public let rootKey: SigningPublicKey

    public init(root: MemberID, rootKey: SigningPublicKey) {
        self.root = root
        self.rootKey = rootKey
    }

    /// Verifies `signed`; `entries` are the directory's signed entries by member id, `isActive` the relay's view of status.
    /// `earlier` are admins' entries for keys they held before a re-key: an entry they signed then still verifies.
    public func verify(_ signed: [UInt8], entries: [MemberID: [UInt8]], earlier: [MemberID: [[UInt8]]] = [:],
                       isActive: (MemberID) -> Bool) throws(PKIError) -> DirectoryEntry {
        let signer = try DirectoryEntry.signer(of: signed)
        if signer == root { return try DirectoryEntry.verified(signed, adminKey: rootKey) }
        guard isActive(signer), let voucherBytes = entries[signer] else {
            throw PKIError(.certificateIdentity, "the directory entry is signed by \(signer), who is not an active admin in your directory: do not send to this recipient")
        }
        guard (try? DirectoryEntry.signer(of: voucherBytes)) == root, let voucher = try? DirectoryEntry.verified(voucherBytes, adminKey: rootKey),
              voucher.member == signer, let authority = voucher.authority else {
            throw PKIError(.certificateIdentity, "the directory entry is signed by \(signer), whom your pinned deployment admin did not make an admin: do not send to this recipient")
        }
        var keys = [voucher.signingKey]
        for old in earlier[signer] ?? [] {
            if (try? DirectoryEntry.signer(of: old)) == root, let retired = try? DirectoryEntry.verified(old, adminKey: rootKey), retired.member == signer {
                keys.append(retired.signingKey)
            }
        }
        guard let entry = keys.lazy.compactMap({ try? DirectoryEntry.verified(signed, adminKey: $0) }).first else {
            throw PKIError(.certificateIdentity, "the directory entry is not signed by \(signer)'s admin key: do not send to this recipient")
        }
        guard authority.covers(entry.member.agency) else {
            throw PKIError(.certificateIdentity, "\(signer) is an admin for \(authority), not for \(entry.member.agency): do not send to this recipient")
        }
        return entry
    }
}
