import ISRCrypto
import ISRPKI
import ISRPacket

/// The members a bundle vouches for: every signed directory entry in it, each verified against the bundle's admin key,
/// directly or through an admin whose own entry that admin signed with an authority covering the member's agency.
struct BundleDirectory {
    struct Person {
        var displayName: String
        var agencyName: String
        var agencyKind: String
        var signingKeys: [SigningPublicKey]
    }

    private(set) var people: [MemberID: Person] = [:]

    init(entries: [[UInt8]], admin: MemberID, adminKey: SigningPublicKey) throws(RecordError) {
        // Admin entries the deployment admin signed come first: they vouch for the rest.
        var vouchers: [MemberID: [DirectoryEntry]] = [:]
        var verified: [DirectoryEntry] = []
        var pending: [[UInt8]] = []
        for signed in entries {
            guard let signer = try? DirectoryEntry.signer(of: signed) else { throw RecordError(.malformed, "a directory entry in the bundle is not a signed ISR directory entry") }
            if signer == admin {
                guard let entry = try? DirectoryEntry.verified(signed, adminKey: adminKey) else {
                    throw RecordError(.unverified, "a directory entry names \(admin) as its signer but is not signed by the bundle's admin key")
                }
                verified.append(entry)
                if entry.authority != nil { vouchers[entry.member, default: []].append(entry) }
            } else {
                pending.append(signed)
            }
        }
        for signed in pending {
            guard let signer = try? DirectoryEntry.signer(of: signed), let candidates = vouchers[signer] else {
                throw RecordError(.unverified, "a directory entry is signed by someone the bundle's admin did not make an admin")
            }
            guard let entry = candidates.lazy.compactMap({ voucher -> DirectoryEntry? in
                guard let entry = try? DirectoryEntry.verified(signed, adminKey: voucher.signingKey), voucher.authority?.covers(entry.member.agency) == true else { return nil }
                return entry
            }).first else {
                throw RecordError(.unverified, "a directory entry signed by \(signer) does not verify with a key that admin held for that agency")
            }
            verified.append(entry)
        }
        for entry in verified {
            var person = people[entry.member] ?? Person(displayName: entry.displayName, agencyName: entry.agencyName, agencyKind: entry.agencyKind, signingKeys: [])
            if !person.signingKeys.contains(where: { $0.bytes == entry.signingKey.bytes }) { person.signingKeys.append(entry.signingKey) }
            people[entry.member] = person
        }
    }

    func keys(of member: MemberID) -> [SigningPublicKey] { people[member]?.signingKeys ?? [] }

    func name(_ member: MemberID) -> String {
        guard let person = people[member] else { return member.rawValue }
        return "\(member) (\(person.displayName), \(person.agencyName))"
    }
}
