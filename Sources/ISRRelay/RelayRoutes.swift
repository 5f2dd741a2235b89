import Foundation
import Hummingbird
import ISRPacket
import ISRRelayAPI
import ISRStore
import Logging
import NIOCore
import Prometheus

extension AcceptReceipt: ResponseEncodable {}
extension PacketStatus: ResponseEncodable {}
extension InboxItem: ResponseEncodable {}
extension DirectoryMember: ResponseEncodable {}
extension Enrolment: ResponseEncodable {}
extension CheckpointBody: ResponseEncodable {}
extension LeavesBody: ResponseEncodable {}
extension ProofBody: ResponseEncodable {}
extension RelayKeyBody: ResponseEncodable {}
extension AgencyBody: ResponseEncodable {}
extension NoticeBody: ResponseEncodable {}
extension ListBody: ResponseEncodable {}
extension Health: ResponseEncodable {}
extension InvitationBody: ResponseEncodable {}
extension RoleAddressBody: ResponseEncodable {}
extension RenewalBody: ResponseEncodable {}
extension InvitationSummary: ResponseEncodable {}
extension EnrolmentProgress: ResponseEncodable {}
extension ExportReceipt: ResponseEncodable {}
extension PartyLeavesBody: ResponseEncodable {}
extension RevocationBody: ResponseEncodable {}

/// Every route the relay serves; `openapi.yaml` documents each one (a test holds the two together).
public enum RelayRoutes {
    public static func router(service: RelayService, policyText: String, openAPI: String, rates: RequestRateLimits = RequestRateLimits()) -> Router<RelayRequestContext> {
        let router = Router(context: RelayRequestContext.self)
        let registry = RelayMetrics.registry
        router.add(middleware: MetricsMiddleware())
        let methods = RouteMethods()
        router.add(middleware: ProblemMiddleware(logger: service.logger, routes: methods))
        router.add(middleware: ClientCertificateGate())
        // Reachable with any certificate the deployment CA issued (load balancers, monitoring).
        router.get("/healthz") { _, _ in Health(status: "ok", version: RelayVersion.software) }
        router.get("/metrics") { _, _ in
            if let expiring = try? await service.certificatesExpiringSoon() { RelayMetrics.certificatesExpiring(expiring) }
            return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4"], body: .init(byteBuffer: ByteBuffer(bytes: registry.emitToBuffer())))
        }
        router.get("/v1/openapi.yaml") { _, _ in
            Response(status: .ok, headers: [.contentType: "application/yaml"], body: .init(byteBuffer: ByteBuffer(string: openAPI)))
        }

        // Enrolment with an invitation code: the only routes open without a client certificate (see ClientCertificateGate).
        router.post("/v1/enrolments/invitation") { request, context in
            let body = try await request.decode(as: InvitationCodeBody.self, context: context)
            return try await service.lookupInvitation(body, from: remoteAddress(context))
        }
        router.post("/v1/enrolments") { request, context in
            let body = try await request.decode(as: EnrolmentSubmission.self, context: context)
            let progress = try await service.submitEnrolment(body, from: remoteAddress(context))
            return EditedResponse(status: progress.enrolment == nil ? .accepted : .ok, response: progress)
        }

        let v1 = router.group("v1").add(middleware: MemberAuthentication(store: service.store))
            .add(middleware: RateLimitMiddleware(limits: rates, clock: service.clock))
        v1.post("packets") { request, context in
            var request = request
            let body = try await request.collectBody(upTo: service.limits.maximumPacketBytes)
            let receipt = try await service.accept(Array(buffer: body), from: try context.requireMember(), emergencyReason: try emergencyReason(request))
            return EditedResponse(status: receipt.duplicate ? .ok : .created, response: receipt)
        }
        v1.get("packets/:id") { _, context in
            let bytes = try await service.fetch(try packetID(context), as: try context.requireMember())
            return Response(status: .ok, headers: [.contentType: "application/octet-stream"], body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
        }
        v1.get("packets/:id/status") { _, context in try await service.status(try packetID(context), for: try context.requireMember()) }
        v1.post("packets/:id/receipt") { request, context in
            try await service.receipt(try packetID(context), signature: try await signature(request, context), from: try context.requireMember())
        }
        v1.post("packets/:id/countersign") { request, context in
            try await service.countersign(try packetID(context), signature: try await signature(request, context), from: try context.requireMember())
        }
        v1.post("packets/:id/return") { request, context in
            let body = try await request.decode(as: ReturnBody.self, context: context)
            return try await service.returnToSender(try packetID(context), signature: try signatureBytes(body.signature), reason: body.reason,
                                                    from: try context.requireMember())
        }
        v1.post("packets/:id/withdraw") { _, context in try await service.withdraw(try packetID(context), by: try context.requireMember()) }
        v1.get("inbox") { request, context in
            let (before, limit) = try page(request)
            return try await service.inbox(for: try context.requireMember(), before: before, limit: limit)
        }
        v1.get("sent") { request, context in
            let (before, limit) = try page(request)
            return try await service.sent(by: try context.requireMember(), before: before, limit: min(limit, 200))
        }
        v1.get("notices") { request, context in
            let (before, limit) = try page(request)
            return try await service.notices(for: try context.requireMember(), before: before, limit: limit)
        }
        v1.post("certificate/renew") { request, context in
            let body = try await request.decode(as: RenewalRequest.self, context: context)
            return try await service.renewCertificate(body, presented: context.peerCertificate, by: try context.requireMember())
        }
        v1.get("events") { request, context in
            try await EventStream.response(service, for: try context.requireMember(), lastEventID: request.headers.first { $0.name.canonicalName == "last-event-id" }?.value)
        }
        v1.post("devices/invitations") { request, context in
            let body = try await request.decode(as: KeyRequestBody.self, context: context)
            return EditedResponse(status: .created, response: try await service.requestKeys(body, by: try context.requireMember()))
        }
        v1.get("devices") { _, context in ListBody(items: try await service.devices(of: try context.requireMember())) }
        v1.post("devices/:device/revoke") { request, context in
            let body = try await request.decode(as: DeviceRevocation.self, context: context)
            return ListBody(items: try await service.revokeDevice(try pathParameter(context, "device"), body, by: try context.requireMember()))
        }
        v1.get("agencies") { _, _ in ListBody(items: try await service.agencies()) }
        v1.get("directory") { _, _ in ListBody(items: try await service.directory()) }
        v1.get("directory/:member") { _, context in
            try await service.directoryEntry(try service.memberID(try pathParameter(context, "member")))
        }
        v1.get("roles") { _, _ in ListBody(items: try await service.roleAddresses()) }
        v1.get("roles/:address") { _, context in ListBody(items: try await service.roleAddress(try pathParameter(context, "address"))) }
        v1.get("policy") { _, _ in
            Response(status: .ok, headers: [.contentType: "application/toml"], body: .init(byteBuffer: ByteBuffer(string: policyText)))
        }

        v1.post("record") { request, context in
            let body = try await request.decode(as: RecordQuery.self, context: context)
            return try await service.record(body, for: try context.requireMember())
        }
        v1.post("exports") { request, context in
            let body = try await request.decode(as: ExportNotice.self, context: context)
            return EditedResponse(status: .created, response: try await service.recordExport(body, by: try context.requireMember()))
        }
        v1.get("audit/key") { _, _ in service.relayKeyBody }
        v1.get("audit/checkpoint") { _, _ in try await service.checkpoint() }
        v1.get("audit/leaves") { request, context in
            try await service.leaves(start: try query(request, "start"), end: try query(request, "end"), for: try context.requireMember())
        }
        v1.get("audit/mine") { request, context in
            let after: UInt64? = request.uri.queryParameters.get("after") == nil ? nil : try query(request, "after")
            return try await service.partyLeaves(for: try context.requireMember(), size: try query(request, "size"), after: after)
        }
        v1.get("audit/inclusion") { request, _ in
            try await service.inclusion(index: try query(request, "index"), size: try query(request, "size"))
        }
        v1.get("audit/consistency") { request, _ in
            try await service.consistency(old: try query(request, "old"), new: try query(request, "new"))
        }

        v1.post("admin/agencies") { request, context in
            let body = try await request.decode(as: AgencyRequest.self, context: context)
            return EditedResponse(status: .created, response: try await service.addAgency(body, by: try context.requireMember()))
        }
        v1.post("admin/agencies/:agency/suspend") { _, context in
            try await service.setAgencyStatus(try pathParameter(context, "agency"), to: .suspended, by: try context.requireMember())
        }
        v1.post("admin/agencies/:agency/reinstate") { _, context in
            try await service.setAgencyStatus(try pathParameter(context, "agency"), to: .active, by: try context.requireMember())
        }
        v1.post("admin/members") { request, context in
            let body = try await request.decode(as: EnrolmentRequest.self, context: context)
            return EditedResponse(status: .created, response: try await service.enrol(body, by: try context.requireMember()))
        }
        v1.post("admin/invitations") { request, context in
            let body = try await request.decode(as: InvitationRequest.self, context: context)
            return EditedResponse(status: .created, response: ListBody(items: try await service.invite(body, by: try context.requireMember())))
        }
        v1.get("admin/invitations") { request, context in
            ListBody(items: try await service.invitations(state: request.uri.queryParameters.get("state"), by: try context.requireMember()))
        }
        v1.post("admin/invitations/:member/approve") { request, context in
            let body = try await request.decode(as: ApprovalRequest.self, context: context)
            return try await service.approveEnrolment(try pathParameter(context, "member"), body, by: try context.requireMember())
        }
        v1.post("admin/members/:member/revoke") { request, context in
            let body = try await request.decode(as: RevocationRequest.self, context: context)
            return try await service.revoke(try pathParameter(context, "member"), reason: body.reason, by: try context.requireMember())
        }
        v1.get("admin/revocations") { _, context in ListBody(items: try await service.revocations(by: try context.requireMember())) }
        v1.post("admin/members/:member/role") { request, context in
            let body = try await request.decode(as: RoleChangeRequest.self, context: context)
            return try await service.changeRole(try pathParameter(context, "member"), to: body, by: try context.requireMember())
        }
        v1.put("admin/roles/:address") { request, context in
            let body = try await request.decode(as: RoleAddressRequest.self, context: context)
            return ListBody(items: try await service.setRoleAddress(try pathParameter(context, "address"), members: body.members, by: try context.requireMember()))
        }
        methods.register(router.routes.map { ("\($0.path)", "\($0.method)") })
        return router
    }

    /// The peer's IP address, which enrolment throttling counts failures by.
    static func remoteAddress(_ context: RelayRequestContext) -> String {
        context.channel.remoteAddress?.ipAddress ?? "unknown"
    }

    /// A path parameter, percent-decoded (clients may encode `@` in `alice@school-a` as `%40`).
    static func pathParameter(_ context: RelayRequestContext, _ name: String) throws -> String {
        let raw = try context.parameters.require(name)
        guard let decoded = raw.removingPercentEncoding else {
            throw RelayRefusal.badRequest("invalid-path", "the `\(name)` in the path is not valid percent-encoded UTF-8")
        }
        return decoded
    }

    static func packetID(_ context: RelayRequestContext) throws -> PacketID {
        do {
            return try PacketID(hex: try pathParameter(context, "id"))
        } catch let error as PacketError {
            throw RelayRefusal.badRequest("invalid-packet-id", error.message)
        }
    }

    static func signature(_ request: Request, _ context: RelayRequestContext) async throws -> [UInt8] {
        try signatureBytes(try await request.decode(as: SignatureBody.self, context: context).signature)
    }

    static func signatureBytes(_ text: String) throws -> [UInt8] {
        guard let data = Data(base64Encoded: text), data.count == 64 else {
            throw RelayRefusal.badRequest("invalid-signature", "signature is a base64 64-byte Ed25519 signature")
        }
        return Array(data)
    }

    /// The paging parameters of a listing: `before` (the `next` cursor of the previous page) and `limit` (1–500, default 100).
    static func page(_ request: Request) throws -> (Int64?, Int) {
        let parameters = request.uri.queryParameters
        var before: Int64?
        if let text = parameters.get("before") {
            guard let value = Int64(text), value >= 0 else { throw RelayRefusal.badRequest("invalid-query", "`before` is the `next` cursor of the previous page") }
            before = value
        }
        var limit = 100
        if let text = parameters.get("limit") {
            guard let value = Int(text), (1...500).contains(value) else { throw RelayRefusal.badRequest("invalid-query", "`limit` is a whole number from 1 to 500") }
            limit = value
        }
        return (before, limit)
    }

    /// The `ISR-Emergency-Release` header: the sender's reason (percent-encoded UTF-8, 1–2000 bytes) for releasing a
    /// packet that needs a countersignature at once, because a child is in immediate danger.
    static func emergencyReason(_ request: Request) throws -> String? {
        guard let raw = request.headers.first(where: { $0.name.canonicalName == "isr-emergency-release" })?.value else { return nil }
        guard let text = raw.removingPercentEncoding, PlainText.isValid(text), text.utf8.count <= 2000 else {
            throw RelayRefusal.unprocessable("invalid-emergency-reason", "ISR-Emergency-Release carries the reason, percent-encoded UTF-8 plain text of 1–2000 bytes")
        }
        return text
    }

    static func query(_ request: Request, _ name: String) throws -> UInt64 {
        guard let value = request.uri.queryParameters.get(name, as: UInt64.self) else {
            throw RelayRefusal.badRequest("invalid-query", "query parameter `\(name)` must be a non-negative integer")
        }
        return value
    }
}

/// The relay's software version (the packet format's version is `ISRVersion.packetFormat`).
public enum RelayVersion {
    public static let software = ISRVersion.software
}
