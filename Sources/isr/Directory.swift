import ArgumentParser
import Foundation
import ISRClient
import ISRCrypto
import ISRPKI
import ISRPacket
import ISRRelayAPI

/// `isr directory [QUERY]`: members, each checked against the admin key pinned at enrolment.
struct Directory: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List members (optionally matching QUERY), each verified against your pinned admin key.")
    @Argument(help: "Part of a member id, name or agency.") var query: String?
    @Flag(help: "Also show each member's devices and key history (re-keys, revoked devices).") var keys = false
    @OptionGroup var global: GlobalOptions

    struct Entry: Encodable {
        let id: String
        let displayName: String
        let role: String
        let agency: String
        let agencyKind: String
        let status: String
        let fingerprint: String
        let verified: Bool
        let devices: Int
        let keys: [KeyHistory.Row]
    }

    func run() async throws {
        let (client, _) = try global.client()
        let (adminID, adminKey) = try global.isrHome.pinnedAdminKey()
        let reply: RelayClient.Reply
        do {
            reply = try await client.get("/v1/directory")
        } catch {
            await client.shutdown()
            throw error
        }
        await client.shutdown()
        let members = try reply.decode(ListBody<DirectoryMember>.self).items
        let verified = VerifiedDirectory.verify(members, trust: DirectoryTrust(root: adminID, rootKey: adminKey))
        let needle = query?.lowercased()
        let entries = members.filter { member in
            guard let needle else { return true }
            return [member.id, member.displayName, member.agency, member.agencyName].contains { $0.lowercased().contains(needle) }
        }.map { member in
            // The fingerprint shown is computed from the keys the pinned admin vouched for, not the relay's text.
            let entry = (try? MemberID(member.id)).flatMap { verified.members[$0] }
            return Entry(id: member.id, displayName: member.displayName, role: member.role, agency: member.agency, agencyKind: member.agencyKind,
                         status: member.status, fingerprint: entry.map { MemberFingerprint(member: $0.id, signingKey: $0.signingKey, encryptionKey: $0.encryptionKey).description } ?? "-",
                         verified: entry != nil, devices: entry?.encryptionKeys.count ?? 0,
                         keys: KeyHistory.rows(member.keys ?? [], verified: entry, thisDevice: nil))
        }
        guard !entries.isEmpty || query == nil else { throw ClientError(.refused, "no member matches `\(query ?? "")`") }
        let history = entries.filter { !$0.keys.isEmpty }.map { entry in
            "\n\(entry.id):\n" + Terminal.table(KeyHistory.header, entry.keys.map(\.cells))
        }.joined()
        Terminal.emit(entries, json: global.json, human: Terminal.table(
            ["MEMBER", "NAME", "ROLE", "AGENCY", "STATUS", "DEVICES", "FINGERPRINT", "VERIFIED"],
            entries.map { [$0.id, $0.displayName, $0.role, "\($0.agency) (\($0.agencyKind))", $0.status, String($0.devices), $0.fingerprint,
                           $0.verified ? "yes" : "NO - do not send"] }) + (keys ? history : ""))
    }
}
