import Foundation
import ISRCrypto
import ISRPacket
import Testing
@testable import ISRPKI

/// Whose signature a client accepts on a directory entry: the pinned deployment admin's, or an admin's whose own entry the
/// deployment admin signed with an authority covering the member's agency, while that admin is active.
@Suite struct DirectoryTrustTests {
    let root = try! MemberID("admin@devon-la")
    let rootKeys = SigningKeyPair.generate()
    let agencyAdmin = try! MemberID("carol@school-a")
    let agencyAdminKeys = SigningKeyPair.generate()

    func entry(_ member: MemberID, authority: DirectoryEntry.Authority? = nil, signer: MemberID, key: SigningKeyPair,
               signing: SigningPublicKey? = nil) -> [UInt8] {
        DirectoryEntry(member: member, displayName: member.local, agencyName: member.agency.rawValue, agencyKind: "school",
                       signingKey: signing ?? SigningKeyPair.generate().publicKey, encryptionKey: EncryptionKeyPair.generate().publicKey, issuedAt: 1,
                       authority: authority).signed(by: signer, key: key)
    }

    @Test func theAuthorityFieldRoundTripsAndOlderEntriesParse() throws {
        for authority in [nil, DirectoryEntry.Authority.deployment, .agency(try AgencyID("school-a"))] {
            let signed = entry(agencyAdmin, authority: authority, signer: root, key: rootKeys)
            #expect(try DirectoryEntry.verified(signed, adminKey: rootKeys.publicKey).authority == authority)
        }
        #expect(DirectoryEntry.Authority("agency:school-a") == .agency(try AgencyID("school-a")))
        #expect(DirectoryEntry.Authority("agency:") == nil && DirectoryEntry.Authority("root") == nil)
    }

    @Test func anAgencyAdminVouchesOnlyForTheirOwnAgencyWhileActive() throws {
        let trust = DirectoryTrust(root: root, rootKey: rootKeys.publicKey)
        let carol = entry(agencyAdmin, authority: .agency(try AgencyID("school-a")), signer: root, key: rootKeys, signing: agencyAdminKeys.publicKey)
        let dave = entry(try MemberID("dave@school-a"), signer: agencyAdmin, key: agencyAdminKeys)
        let erin = entry(try MemberID("erin@devon-csc"), signer: agencyAdmin, key: agencyAdminKeys)
        let entries = [agencyAdmin: carol]
        #expect(try trust.verify(dave, entries: entries, isActive: { _ in true }).member.rawValue == "dave@school-a")
        #expect(try trust.verify(entry(try MemberID("erin@devon-csc"), signer: root, key: rootKeys), entries: [:], isActive: { _ in false })
            .member.rawValue == "erin@devon-csc", "the pinned admin needs no voucher")
        // Another agency, a revoked agency admin, a voucher without authority or not signed by the deployment admin: refused.
        #expect(throws: PKIError.self) { try trust.verify(erin, entries: entries, isActive: { _ in true }) }
        #expect(throws: PKIError.self) { try trust.verify(dave, entries: entries, isActive: { _ in false }) }
        let plain = entry(agencyAdmin, signer: root, key: rootKeys, signing: agencyAdminKeys.publicKey)
        #expect(throws: PKIError.self) { try trust.verify(dave, entries: [agencyAdmin: plain], isActive: { _ in true }) }
        let mallory = try MemberID("mallory@school-a"), malloryKeys = SigningKeyPair.generate()
        let selfMade = entry(agencyAdmin, authority: .deployment, signer: mallory, key: malloryKeys, signing: agencyAdminKeys.publicKey)
        #expect(throws: PKIError.self) { try trust.verify(dave, entries: [agencyAdmin: selfMade], isActive: { _ in true }) }
        // A member with authority cannot hand it on: only the pinned deployment admin's vouchers count.
        let frank = try MemberID("frank@school-a"), frankKeys = SigningKeyPair.generate()
        let frankEntry = entry(frank, authority: .agency(try AgencyID("school-a")), signer: agencyAdmin, key: agencyAdminKeys, signing: frankKeys.publicKey)
        let grace = entry(try MemberID("grace@school-a"), signer: frank, key: frankKeys)
        #expect(throws: PKIError.self) { try trust.verify(grace, entries: [agencyAdmin: carol, frank: frankEntry], isActive: { _ in true }) }
    }
}
