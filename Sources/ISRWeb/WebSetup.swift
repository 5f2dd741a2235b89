import Foundation
import Hummingbird
import ISRClient
import ISRCrypto
import ISRPKI
import ISRRelayAPI
import Logging
import NIOCore

/// `isr ui` on a home that is not enrolled yet: one page that takes the invitation code, the relay and its CA and a
/// passphrase, makes the keys on this machine (ISRClient's enrolment, as `isr enrol --code` does), shows the
/// fingerprint to read to the admin, and waits for the approval. Served behind the same guard as the app itself; once
/// enrolled, `isr ui` replaces it with the full app on the same port and token.
public struct WebSetup: Sendable {
    public let home: ISRHome
    public let port: Int
    public let secrets: WebSecrets
    let renderer: WebRenderer
    let state = SetupState()

    public var url: String { "http://127.0.0.1:\(port)/?token=\(secrets.urlToken)" }

    public static func make(home: ISRHome, port: Int) async throws -> WebSetup {
        let chosen = port == 0 ? try WebApp.freeLoopbackPort() : port
        let secrets = WebSecrets(port: chosen)
        return WebSetup(home: home, port: chosen, secrets: secrets, renderer: try await WebRenderer.load(csrf: secrets.csrf, member: "", role: ""))
    }

    /// Serves the setup page until the member is enrolled and returns their unlocked keys; nil if stopped first (Ctrl-C).
    public func run(logger: Logger, onListening: @escaping @Sendable () -> Void) async throws -> PractitionerKeys? {
        let (enrolled, done) = AsyncStream.makeStream(of: PractitionerKeys.self, bufferingPolicy: .bufferingNewest(1))
        let app = Application(router: router(done), configuration: .init(address: .hostname("127.0.0.1", port: port), serverName: "isr-ui"),
                              onServerRunning: { _ in onListening() }, logger: logger)
        return try await withThrowingTaskGroup(of: PractitionerKeys?.self) { group in
            group.addTask {
                try await app.runService()
                return nil
            }
            group.addTask {
                for await keys in enrolled { return keys }
                return nil
            }
            let first = try await group.next() ?? nil
            group.cancelAll()
            return first
        }
    }

    func router(_ done: AsyncStream<PractitionerKeys>.Continuation) -> Router<BasicRequestContext> {
        let router = Router()
        router.add(middleware: WebGuard(secrets: secrets, port: port))
        router.get("/") { _, _ in Response.redirect(to: "/setup", type: .found) }
        router.get("/inbox") { _, _ in Response.redirect(to: "/setup", type: .found) }
        router.get("/static/:file") { _, context in try WebApp.staticFile(try context.parameters.require("file")) }
        router.get("/setup") { _, _ in await page(done) }
        router.get("/setup/status") { _, _ in await status(done) }
        router.post("/setup") { request, context in
            var request = request
            let form = try await WebForm(request: &request, context: context)
            do {
                try await begin(form)
                return Response.redirect(to: "/setup", type: .normal)
            } catch let error as ClientError {
                return setupForm(problem: error.message, status: .unprocessableContent)
            }
        }
        return router
    }

    /// Where the enrolment stands, asked of the relay (the request is submitted again; once approved, the certificate is
    /// checked and installed, the keys unlocked and handed over, and the passphrase dropped).
    enum Progress {
        case notStarted
        case waiting(member: String, fingerprint: String)
        case enrolled(member: String, admin: String)
        case unreachable(member: String, reason: String)
    }

    func progress(_ done: AsyncStream<PractitionerKeys>.Continuation) async -> Progress {
        guard let pending = await state.pending else { return await state.enrolled.map { .enrolled(member: $0.0, admin: $0.1) } ?? .notStarted }
        do {
            let client = try RelayClient(relayUrl: pending.relayUrl, caPEM: pending.caPEM)
            let progress: EnrolmentProgress
            do {
                progress = try await InvitationEnrolment.submit(pending.code, request: pending.request, client: client)
                await client.shutdown()
            } catch {
                await client.shutdown()
                throw error
            }
            guard let issued = progress.enrolment else { return .waiting(member: progress.member, fingerprint: progress.fingerprint) }
            let (admin, _) = try InvitationEnrolment.install(issued, code: pending.code, request: pending.request, home: home)
            let keys: PractitionerKeys
            do { keys = try IdentityFile.load(from: home.identityPath).unlock(passphrase: pending.passphrase) } catch { throw ClientError(.local, error.message) }
            await state.finish(member: progress.member, admin: admin.rawValue)
            done.yield(keys)
            return .enrolled(member: progress.member, admin: admin.rawValue)
        } catch let error as ClientError {
            return .unreachable(member: pending.member, reason: error.message)
        } catch {
            return .unreachable(member: pending.member, reason: "\(error)")
        }
    }

    /// The form (nothing submitted yet), the fingerprint while the admin has not approved, or the news that they have.
    /// The waiting page asks `/setup/status` every few seconds (app.js) and opens the inbox once enrolled.
    func page(_ done: AsyncStream<PractitionerKeys>.Continuation) async -> Response {
        switch await progress(done) {
        case .notStarted:
            return setupForm()
        case .waiting(let member, let fingerprint):
            return renderer.page("setup", title: "Waiting for your admin", ["waiting": true, "member": member, "fingerprint": fingerprint])
        case .enrolled(let member, let admin):
            return renderer.page("setup", title: "Enrolled", ["enrolled": true, "member": member, "admin": admin])
        case .unreachable(let member, let reason):
            return renderer.page("setup", title: "Waiting for your admin", ["waiting": true, "member": member, "fingerprint": "—"], status: .badGateway,
                                 note: "Could not reach the relay (\(reason)); trying again.")
        }
    }

    /// `{"state": "waiting" | "enrolled" | "not-started" | "unreachable"}` for the waiting page's script (the app that
    /// replaces this page answers `ready`).
    func status(_ done: AsyncStream<PractitionerKeys>.Continuation) async -> Response {
        let state = switch await progress(done) {
        case .notStarted: "not-started"
        case .waiting: "waiting"
        case .enrolled: "enrolled"
        case .unreachable: "unreachable"
        }
        return WebApp.json(["state": state])
    }

    func setupForm(problem: String? = nil, status: HTTPResponse.Status = .ok) -> Response {
        var values: [String: Any] = ["form": true, "known": home.hasIdentity]
        if let problem { values["problem"] = problem }
        return renderer.page("setup", title: "Set up ISR", values, status: status)
    }

    /// Makes the keys (or, for a home that already made them with `isr enrol --code`, unlocks them) and submits the request.
    func begin(_ form: WebForm) async throws(ClientError) {
        let code: InvitationCode
        do { code = try InvitationCode(parsing: form.value("code") ?? "") } catch { throw ClientError(.usage, error.message) }
        guard let typed = form.pairs.first(where: { $0.name == "passphrase" })?.value, typed.count >= 12 else {
            throw ClientError(.usage, "a passphrase of at least 12 characters protects your keys")
        }
        let passphrase = SecretBytes(utf8: typed)
        let request: CertificateRequestFile
        let relayUrl: String, caPEM: String
        var madeHere = false
        if home.hasIdentity {
            guard !FileManager.default.fileExists(atPath: home.certificatePath) else { throw ClientError(.local, "this home is already enrolled; restart `isr ui`") }
            do { _ = try IdentityFile.load(from: home.identityPath).unlock(passphrase: passphrase) } catch {
                throw ClientError(.usage, "that passphrase does not unlock the keys in \(home.path)")
            }
            let config = try home.config()
            request = try ClientDocuments.read(CertificateRequestFile.self, from: home.pendingRequestPath, what: "pending enrolment request")
            (relayUrl, caPEM) = (config.relayUrl, try home.text(home.caPath, missing: "no CA in \(home.path)"))
        } else {
            guard form.pairs.first(where: { $0.name == "passphrase2" })?.value == typed else { throw ClientError(.usage, "the two passphrases differ; type them again") }
            guard let relay = form.value("relay"), let caPath = form.value("ca") else { throw ClientError(.usage, "the relay address and the CA certificate are needed") }
            relayUrl = relay
            caPEM = try home.text(caPath, missing: "cannot read the CA certificate \(caPath) on this machine")
            (request, _) = try await InvitationEnrolment.prepareHome(code, relayUrl: relayUrl, caPEM: caPEM, home: home, forDevice: false) { _, _ in passphrase }
            madeHere = true
        }
        let client = try RelayClient(relayUrl: relayUrl, caPEM: caPEM)
        do {
            let progress = try await InvitationEnrolment.submit(code, request: request, client: client)
            await client.shutdown()
            await state.submitted(SetupState.Pending(code: code, request: request, relayUrl: relayUrl, caPEM: caPEM, passphrase: passphrase,
                                                     member: progress.member))
        } catch {
            await client.shutdown()
            // The relay refused the first submission: leave no identity behind that no one can enrol.
            if madeHere { home.removeNewIdentity() }
            throw error
        }
    }
}

/// What the setup page holds between the submission and the approval (in memory only: a restarted `isr ui` asks for
/// the code and passphrase again).
actor SetupState {
    struct Pending: Sendable {
        let code: InvitationCode
        let request: CertificateRequestFile
        let relayUrl: String
        let caPEM: String
        let passphrase: SecretBytes
        let member: String
    }

    private(set) var pending: Pending?
    /// Set once enrolled: the member and the admin whose key was pinned.
    private(set) var enrolled: (String, String)?

    func submitted(_ value: Pending) { pending = value }

    /// Enrolled: the passphrase is no longer held.
    func finish(member: String, admin: String) {
        pending = nil
        enrolled = (member, admin)
    }
}
