import Crypto
import Foundation
import ISRClient
import ISRCrypto
import ISRPKI
import ISRPacket
import ISRRelayAPI

/// The synthetic practitioners of a run, enrolled through the relay's admin API exactly as `isr admin member add`
/// does (CSR, admin-signed directory entry, certificate issued by the relay): senders at a school, recipients in
/// children's social care. Ids carry a run tag so repeated runs against one relay do not collide.
public struct SyntheticCast: Sendable {
    public let senders: [BenchMember]
    public let recipients: [BenchMember]

    public static let senderAgency = (id: "bench-school", name: "Benchmark School", kind: "school")
    public static let recipientAgency = (id: "bench-csc", name: "Benchmark Children's Services", kind: "childrens-social-care")

    /// Registers the two agencies (if new) and `pairs` senders and recipients.
    public static func enrol(pairs: Int, relayURL: String, admin: BenchMember, caPEM: String) async throws -> SyntheticCast {
        let client = try RelayClient(relayUrl: relayURL, caPEM: caPEM, certificatePEM: admin.certificatePEM, privateKeyPEM: admin.tlsKeyPEM)
        do {
            let existing = Set(try await client.get("/v1/agencies").decode(ListBody<AgencyBody>.self).items.map(\.id))
            for agency in [senderAgency, recipientAgency] where !existing.contains(agency.id) {
                _ = try await client.post("/v1/admin/agencies", json: AgencyRequest(id: agency.id, name: agency.name, kind: agency.kind))
            }
            let tag = Hex.encode(SecretBytes.random(count: 3).withUnsafeBytes { Array($0) })
            var senders: [BenchMember] = [], recipients: [BenchMember] = []
            for index in 0..<pairs {
                senders.append(try await enrolOne(try MemberID("sender-\(index)-\(tag)@\(senderAgency.id)"), agency: senderAgency, client: client, admin: admin))
                recipients.append(try await enrolOne(try MemberID("recipient-\(index)-\(tag)@\(recipientAgency.id)"), agency: recipientAgency, client: client, admin: admin))
            }
            await client.shutdown()
            return SyntheticCast(senders: senders, recipients: recipients)
        } catch {
            await client.shutdown()
            throw error
        }
    }

    static func enrolOne(_ id: MemberID, agency: (id: String, name: String, kind: String), client: RelayClient, admin: BenchMember) async throws -> BenchMember {
        let tlsKey = P256.Signing.PrivateKey()
        let keys = PractitionerKeys.generate()
        let name = "Synthetic \(id.local)"
        let entry = DirectoryEntry(member: id, displayName: name, agencyName: agency.name, agencyKind: agency.kind,
                                   signingKey: keys.signing.publicKey, encryptionKey: keys.encryption.publicKey,
                                   issuedAt: Int64(Date().timeIntervalSince1970 * 1000)).signed(by: admin.id, key: admin.keys.signing)
        let enrolment = try await client.post("/v1/admin/members", json: EnrolmentRequest(
            certificateRequest: try MemberCertificateRequest(member: id, privateKey: tlsKey).pem(), displayName: name, role: "practitioner",
            signingKey: Data(keys.signing.publicKey.bytes).base64EncodedString(), encryptionKey: Data(keys.encryption.publicKey.bytes).base64EncodedString(),
            directoryEntry: Data(entry).base64EncodedString())).decode(Enrolment.self)
        return BenchMember(id: id, keys: keys, tlsKeyPEM: tlsKey.pemRepresentation, certificatePEM: enrolment.certificate)
    }
}
