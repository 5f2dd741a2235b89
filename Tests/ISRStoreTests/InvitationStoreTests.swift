import Foundation
import ISRAudit
import ISRCrypto
import ISRPacket
import ISRTestSupport
import Testing
@testable import ISRStore

/// Invitations through the store protocol: one live invitation per member, a code submitted once and only before it
/// expires, approval enrolling the member (or re-enrolling a revoked one under the same id) atomically.
@Suite(.blocksThreads) struct InvitationStoreTests {
    static func invitation(_ member: MemberID, code: String, expiresAt: Int64 = 10_000) -> Invitation {
        Invitation(codeHash: SHA256.hash(Array(code.utf8)), member: member, displayName: member.local.capitalized, role: .practitioner,
                   invitedBy: Fixture.admin, createdAt: 1, expiresAt: expiresAt)
    }

    static func submission(_ member: Member, at time: Int64 = 5) -> Invitation.Submission {
        Invitation.Submission(certificateRequest: "csr of \(member.id)", signingKey: member.signingKey, encryptionKey: member.encryptionKey,
                              proof: Array(repeating: 7, count: 64), submittedAt: time)
    }

    @Test(arguments: StoreKind.allCases)
    func anInvitationGoesFromOpenToCollectedOnceAndEnrolsTheMember(kind: StoreKind) async throws {
        let store = try await Fixture.populated(kind)
        let dave = try MemberID("dave@school-a")
        let first = Self.invitation(dave, code: "one")
        let second = Self.invitation(dave, code: "two")
        let size = try await store.auditSize()
        _ = try await store.insertInvitations([first], events: [Fixture.event("member.invited")])
        // A newer invitation withdraws the older one that was not yet approved.
        _ = try await store.insertInvitations([second], events: [Fixture.event("member.invited")])
        #expect(try await store.invitation(codeHash: first.codeHash)?.state == .withdrawn)
        #expect(try await store.invitations(in: Invitation.State.live).map(\.member) == [dave])

        var member = Fixture.member(dave)
        member.enrolledAt = 20
        let notSubmitted = await #expect(throws: StoreError.self) {
            try await store.approveInvitation(codeHash: second.codeHash, member: member, approvedBy: Fixture.admin, certificate: "pem", event: Fixture.event("member.enrolled"))
        }
        #expect(notSubmitted?.code == .invalidTransition)
        let withdrawn = await #expect(throws: StoreError.self) {
            try await store.submitInvitation(codeHash: first.codeHash, submission: Self.submission(member), now: 5, event: Fixture.event("member.enrolment-submitted"))
        }
        #expect(withdrawn?.code == .invalidTransition)
        _ = try await store.submitInvitation(codeHash: second.codeHash, submission: Self.submission(member), now: 5, event: Fixture.event("member.enrolment-submitted"))
        let again = await #expect(throws: StoreError.self) {
            try await store.submitInvitation(codeHash: second.codeHash, submission: Self.submission(member, at: 6), now: 6, event: Fixture.event("member.enrolment-submitted"))
        }
        #expect(again?.code == .invalidTransition, "a code takes one submission")
        #expect(try await store.invitations(in: [.submitted]).first?.submission == Self.submission(member))

        // Approval must name exactly the submitted keys.
        var other = member
        other.signingKey = SHA256.hash(Array("another key".utf8))
        await #expect(throws: StoreError.self) {
            try await store.approveInvitation(codeHash: second.codeHash, member: other, approvedBy: Fixture.admin, certificate: "pem", event: Fixture.event("member.enrolled"))
        }
        _ = try await store.approveInvitation(codeHash: second.codeHash, member: member, approvedBy: Fixture.admin, certificate: "pem", event: Fixture.event("member.enrolled"))
        #expect(try await store.member(dave) == member)
        let approved = try #require(try await store.invitation(codeHash: second.codeHash))
        #expect(approved.state == .approved && approved.certificate == "pem" && approved.approvedBy == Fixture.admin)
        try await store.collectInvitation(codeHash: second.codeHash)
        #expect(try await store.invitation(codeHash: second.codeHash)?.state == .collected)
        // Two invitations, one submission, one approval: four leaves; the refusals left none.
        #expect(try await store.auditSize() == size + 4)
        // An active member cannot be invited again.
        let active = await #expect(throws: StoreError.self) {
            try await store.insertInvitations([Self.invitation(dave, code: "three")], events: [Fixture.event("member.invited")])
        }
        #expect(active?.code == .alreadyExists)
    }

    @Test(arguments: StoreKind.allCases)
    func anExpiredCodeIsRefusedAndARevokedMemberIsReEnrolledUnderTheirID(kind: StoreKind) async throws {
        let store = try await Fixture.populated(kind)
        let alice = try #require(try await store.member(Fixture.alice))
        let active = await #expect(throws: StoreError.self) {
            _ = try await store.insertInvitations([Self.invitation(Fixture.alice, code: "early")], events: [Fixture.event("member.invited")])
        }
        #expect(active?.code == .alreadyExists, "alice is active")
        _ = try await store.updateMember(Fixture.alice, status: .revoked, role: nil, directoryEntry: nil, event: Fixture.event("member.revoked"))
        let invitation = Self.invitation(Fixture.alice, code: "back", expiresAt: 100)
        _ = try await store.insertInvitations([invitation], events: [Fixture.event("member.invited")])
        var renewed = Fixture.member(Fixture.alice)
        renewed.signingKey = SHA256.hash(Array("alice's new key".utf8))
        renewed.certificateFingerprint = "new certificate"
        renewed.directoryEntry = [9]
        renewed.enrolledAt = 50
        let late = await #expect(throws: StoreError.self) {
            try await store.submitInvitation(codeHash: invitation.codeHash, submission: Self.submission(renewed), now: 100, event: Fixture.event("member.enrolment-submitted"))
        }
        #expect(late?.code == .invalidTransition, "expired at 100")
        _ = try await store.submitInvitation(codeHash: invitation.codeHash, submission: Self.submission(renewed), now: 99, event: Fixture.event("member.enrolment-submitted"))
        _ = try await store.approveInvitation(codeHash: invitation.codeHash, member: renewed, approvedBy: Fixture.admin, certificate: "pem",
                                              event: Fixture.event("member.enrolled"))
        let back = try #require(try await store.member(Fixture.alice))
        #expect(back.status == .active && back.signingKey == renewed.signingKey && back.certificateFingerprint == "new certificate")
        #expect(back.signingKey != alice.signingKey)
        // Unknown agencies are refused.
        await #expect(throws: StoreError.self) {
            _ = try await store.insertInvitations([Self.invitation(try MemberID("x@nowhere"), code: "x")], events: [Fixture.event("member.invited")])
        }
    }
}
