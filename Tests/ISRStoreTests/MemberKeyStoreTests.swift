import Foundation
import ISRAudit
import ISRCrypto
import ISRPacket
import ISRTestSupport
import Testing
@testable import ISRStore

/// Devices and key history through the store protocol: a device request approved adds an active key set, a re-key retires
/// the device's keys (primary or not), revoking the primary promotes another device, and a reset keeps every old key
/// on record as revoked.
@Suite(.blocksThreads) struct MemberKeyStoreTests {
    static func keys(_ label: String, device: String, at time: Int64) -> MemberKey {
        MemberKey(device: device, signingKey: SHA256.hash(Array("\(label) signing".utf8)), encryptionKey: SHA256.hash(Array("\(label) encryption".utf8)),
                  certificateFingerprint: "certificate of \(label)", certificateExpiresAt: 9_000, directoryEntry: Array(label.utf8), state: .active, createdAt: time)
    }

    /// Opens, submits and approves a device or re-key request for `member` with `key`.
    static func approve(_ store: any RelayStore, _ member: MemberID, _ purpose: Invitation.Purpose, _ key: MemberKey) async throws {
        let invitation = Invitation(codeHash: SHA256.hash(Array("\(purpose) \(key.device) \(key.createdAt)".utf8)), member: member, displayName: "Bob",
                                    role: .practitioner, invitedBy: member, createdAt: key.createdAt - 5, expiresAt: key.createdAt + 10_000,
                                    purpose: purpose, device: key.device)
        _ = try await store.insertKeyInvitation(invitation, event: Fixture.event("member.\(purpose)-requested"))
        _ = try await store.submitInvitation(codeHash: invitation.codeHash, submission: Invitation.Submission(
            certificateRequest: "csr", signingKey: key.signingKey, encryptionKey: key.encryptionKey, proof: Array(repeating: 1, count: 64), submittedAt: key.createdAt - 1),
                                             now: key.createdAt - 1, event: Fixture.event("member.enrolment-submitted"))
        _ = try await store.approveKeyInvitation(codeHash: invitation.codeHash, member: member, key: key, approvedBy: Fixture.admin, certificate: "pem",
                                                 event: Fixture.event("member.keys-approved"))
        // Until the device collects its certificate, no further request for it is taken.
        let uncollected = await #expect(throws: StoreError.self) {
            _ = try await store.insertKeyInvitation(Invitation(codeHash: SHA256.hash(Array("again \(key.device) \(key.createdAt)".utf8)), member: member, displayName: "Bob",
                                                               role: .practitioner, invitedBy: member, createdAt: key.createdAt, expiresAt: key.createdAt + 10_000,
                                                               purpose: .rekey, device: key.device), event: Fixture.event("x"))
        }
        #expect(uncollected?.code == .alreadyExists)
        try await store.collectInvitation(codeHash: invitation.codeHash)
    }

    @Test(arguments: StoreKind.allCases)
    func devicesAreAddedReKeyedAndRevokedWithTheirHistoryKept(kind: StoreKind) async throws {
        let store = try await Fixture.populated(kind)
        let original = try #require(try await store.member(Fixture.bob))
        #expect(original.device == "primary" && original.activeKeys.count == 1 && original.otherKeys.isEmpty)

        try await Self.approve(store, Fixture.bob, .device, Self.keys("tablet-1", device: "tablet", at: 100))
        var bob = try #require(try await store.member(Fixture.bob))
        #expect(bob.activeKeys.map(\.device) == ["primary", "tablet"])
        // A second device of the same name, or a re-key of a device bob does not have, is refused.
        let duplicate = await #expect(throws: StoreError.self) {
            try await Self.approve(store, Fixture.bob, .device, Self.keys("tablet-2", device: "tablet", at: 110))
        }
        #expect(duplicate?.code == .alreadyExists)
        await #expect(throws: StoreError.self) { try await Self.approve(store, Fixture.bob, .rekey, Self.keys("phone", device: "phone", at: 120)) }

        // Re-keying the tablet retires its keys; re-keying the primary moves the primary's keys into the history.
        try await Self.approve(store, Fixture.bob, .rekey, Self.keys("tablet-3", device: "tablet", at: 200))
        try await Self.approve(store, Fixture.bob, .rekey, Self.keys("primary-2", device: "primary", at: 300))
        bob = try #require(try await store.member(Fixture.bob))
        #expect(bob.signingKey == Self.keys("primary-2", device: "primary", at: 300).signingKey && bob.primaryKey.createdAt == 300)
        #expect(bob.activeKeys.map(\.signingKey) == [Self.keys("primary-2", device: "primary", at: 300).signingKey, Self.keys("tablet-3", device: "tablet", at: 200).signingKey])
        let retired = bob.otherKeys.filter { $0.state == .retired }
        #expect(Set(retired.map(\.signingKey)) == [original.signingKey, Self.keys("tablet-1", device: "tablet", at: 100).signingKey])
        #expect(retired.first { $0.signingKey == original.signingKey }.map { ($0.createdAt, $0.endedAt) } ?? (0, nil) == (original.enrolledAt, 300))
        #expect(retired.allSatisfy { $0.certificateFingerprint == nil || $0.state == .retired })

        // The tablet's certificate renews on its own row.
        _ = try await store.renewCertificate(Fixture.bob, device: "tablet", fingerprint: "renewed tablet", expiresAt: 20_000, event: Fixture.event("member.certificate-renewed"))
        #expect(try await store.member(Fixture.bob)?.activeKeys.last?.certificateFingerprint == "renewed tablet")

        // Revoking the primary promotes the tablet into the member's row; the last device cannot be revoked.
        _ = try await store.revokeDevice(Fixture.bob, device: "primary", at: 400, reason: "lost", event: Fixture.event("member.device-revoked"))
        bob = try #require(try await store.member(Fixture.bob))
        #expect(bob.device == "tablet" && bob.certificateFingerprint == "renewed tablet" && bob.activeKeys.count == 1 && bob.primaryKey.createdAt == 200)
        #expect(bob.otherKeys.contains { $0.device == "primary" && $0.state == .revoked && $0.endedAt == 400 })
        let last = await #expect(throws: StoreError.self) {
            try await store.revokeDevice(Fixture.bob, device: "tablet", at: 500, reason: "lost", event: Fixture.event("member.device-revoked"))
        }
        #expect(last?.code == .invalidTransition)

        // A reset and re-enrolment keep every earlier key on record as revoked.
        _ = try await store.updateMember(Fixture.bob, status: .revoked, role: nil, directoryEntry: nil, event: Fixture.event("member.revoked"))
        let invitation = InvitationStoreTests.invitation(Fixture.bob, code: "back", expiresAt: 10_000)
        _ = try await store.insertInvitations([invitation], events: [Fixture.event("member.invited")])
        var renewed = Fixture.member(Fixture.bob)
        renewed.signingKey = SHA256.hash(Array("bob after reset".utf8))
        renewed.certificateFingerprint = "after reset"
        renewed.enrolledAt = 600
        _ = try await store.submitInvitation(codeHash: invitation.codeHash, submission: InvitationStoreTests.submission(renewed), now: 590, event: Fixture.event("member.enrolment-submitted"))
        _ = try await store.approveInvitation(codeHash: invitation.codeHash, member: renewed, approvedBy: Fixture.admin, certificate: "pem", event: Fixture.event("member.enrolled"))
        bob = try #require(try await store.member(Fixture.bob))
        #expect(bob.device == "primary" && bob.primaryKey.createdAt == 600 && bob.activeKeys.count == 1)
        #expect(bob.otherKeys.filter { $0.state == .active }.isEmpty && bob.otherKeys.count == 4, "\(bob.otherKeys.map { "\($0.device) \($0.state)" })")
        #expect(bob.otherKeys.contains { $0.signingKey == Self.keys("tablet-3", device: "tablet", at: 200).signingKey && $0.state == .revoked })
    }

    @Test(arguments: StoreKind.allCases)
    func keyRequestsNeedAnActiveMemberAndAtMostEightDevices(kind: StoreKind) async throws {
        let store = try await Fixture.populated(kind)
        for n in 1..<MemberKey.maximumActiveDevices {
            try await Self.approve(store, Fixture.carol, .device, Self.keys("carol-\(n)", device: "device-\(n)", at: Int64(100 * n)))
        }
        #expect(try await store.member(Fixture.carol)?.activeKeys.count == MemberKey.maximumActiveDevices)
        let ninth = await #expect(throws: StoreError.self) {
            try await Self.approve(store, Fixture.carol, .device, Self.keys("carol-9", device: "device-9", at: 2_000))
        }
        #expect(ninth?.code == .invalidTransition)
        _ = try await store.updateMember(Fixture.alice, status: .revoked, role: nil, directoryEntry: nil, event: Fixture.event("member.revoked"))
        let revoked = await #expect(throws: StoreError.self) {
            try await Self.approve(store, Fixture.alice, .device, Self.keys("alice-2", device: "tablet", at: 3_000))
        }
        #expect(revoked?.code == .notFound)
        // An enrolment invitation is never made through the member's own route.
        await #expect(throws: StoreError.self) {
            _ = try await store.insertKeyInvitation(InvitationStoreTests.invitation(Fixture.carol, code: "x"), event: Fixture.event("x"))
        }
    }
}
