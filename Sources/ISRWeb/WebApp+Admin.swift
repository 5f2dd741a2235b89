import Foundation
import Hummingbird
import ISRClient
import ISRRelayAPI

/// The admin pages (for admins and agency admins): pending requests with the fingerprint computed here from the
/// submitted keys, invitations, members and revocation, role addresses and agencies — what `isr admin` does, through
/// the same ISRClient code.
extension WebApp {
    static let memberRoles = ["practitioner", "dsl", "manager", "agency-admin", "admin", "auditor"]

    func admin(invited: Session.Invited? = nil, note: String? = nil) async throws -> Response {
        guard renderer.admin else { throw ClientError(.refused, "the admin pages are for admins and agency admins; ask yours") }
        let pending = try await session.pendingRequests()
        let members = try await session.members()
        let roles = try await session.roleAddresses()
        let agencies = try await session.agencies()
        let policy = try await session.policy()
        var values: [String: Any] = [
            "pending": pending.map { request in
                ["member": request.invitation.member, "name": request.invitation.displayName, "role": request.invitation.role, "what": request.what,
                 "device": request.invitation.device ?? "", "fingerprint": request.keys?.fingerprint.description as Any, "problem": request.problem as Any]
            },
            "noPending": pending.isEmpty,
            "members": members.map { ["id": $0.id, "name": $0.displayName, "role": $0.role, "agency": $0.agency, "status": $0.status, "fingerprint": $0.fingerprint] },
            "active": members.filter { $0.status == "active" && $0.id != session.me.rawValue }.map(\.id),
            "roleAddresses": roles.map { ["address": $0.address, "members": $0.members.joined(separator: ", ")] },
            "noRoleAddresses": roles.isEmpty,
            "agencies": agencies.map { ["id": $0.id, "name": $0.name, "kind": $0.kind, "status": $0.status] },
            "deploymentAdmin": renderer.role == "admin",
            "kinds": policy.agencyKinds,
            "roles": Self.memberRoles,
        ]
        if let invited {
            values["invited"] = ["member": invited.member, "name": invited.name, "code": invited.code, "expires": timeText(invited.expiresAt)]
        }
        return renderer.page("admin", title: "Administration", values, note: note)
    }

    /// The admin forms; each answers with the admin page saying what was done.
    func adminAction(_ action: String, form: WebForm) async throws -> Response {
        guard renderer.admin else { throw ClientError(.refused, "the admin pages are for admins and agency admins; ask yours") }
        func required(_ name: String, _ what: String) throws(ClientError) -> String {
            guard let value = form.value(name) else { throw ClientError(.usage, "\(what) is needed") }
            return value
        }
        switch action {
        case "approve":
            let member = try required("member", "The member to approve")
            let device = form.value("device")
            guard let request = try await session.pendingRequests().first(where: { $0.invitation.member == member && ($0.invitation.device ?? "") == (device ?? "") }) else {
                throw ClientError(.refused, "no request from \(member) is waiting any more; reload the admin page")
            }
            let keys = try await session.approve(request, fingerprint: try required("fingerprint", "The fingerprint you compared"))
            return try await admin(note: "Approved \(member): \(request.what) (fingerprint \(keys.fingerprint)). They can now install their certificate.")
        case "invite":
            let days = Int(form.value("days") ?? "7") ?? 0
            guard (1...30).contains(days) else { throw ClientError(.usage, "a code works for 1 to 30 days") }
            let role = try required("role", "A role")
            guard Self.memberRoles.contains(role) else { throw ClientError(.usage, "the role is one of \(Self.memberRoles.joined(separator: ", "))") }
            guard let invited = try await session.invite([(try required("id", "A member id"), try required("name", "Their name"), role)],
                                                         lifetime: Int64(days) * 86_400).first else {
                throw ClientError(.refused, "the relay recorded no invitation")
            }
            return try await admin(invited: invited, note: "Invited \(invited.member).")
        case "revoke":
            let revoked = try await session.revoke(member: try required("member", "The member to revoke"), reason: try required("reason", "A reason"))
            return try await admin(note: "Revoked \(revoked.id); their certificate is refused from now on.")
        case "roles":
            let address = try required("address", "The role address")
            let members = try required("members", "Its members").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            let now = try await session.setRoleAddress(address, members: members)
            return try await admin(note: "\(address) now reaches \(now.joined(separator: ", ")).")
        case "agencies":
            let agency = try await session.addAgency(id: try required("id", "An agency id"), name: try required("name", "A name"), kind: try required("kind", "A kind"))
            return try await admin(note: "Registered agency \(agency.id) (\(agency.name), \(agency.kind)).")
        default:
            return Response(status: .notFound)
        }
    }
}
