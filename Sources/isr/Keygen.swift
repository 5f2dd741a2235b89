import ArgumentParser
import Foundation
import ISRClient
import ISRCrypto
import ISRPKI
import ISRPacket
import X509

/// `isr keygen ID --name N --relay URL --ca CA_PEM --out FILE`: make your keys on your own machine, encrypted
/// under your passphrase, and a request file (public material only) for your admin.
struct Keygen: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Make your keys and a request file for your admin; private keys never leave this machine.")

    @Argument(help: "Your member id, name@agency (e.g. alice.smith@school-a).") var id: String
    @Option(help: "Your name as colleagues will see it.") var name: String
    @Option(help: "The relay's URL, e.g. https://relay.example:8443.") var relay: String
    @Option(help: "The deployment CA certificate (PEM) your admin gave you.") var ca: String
    @Option(help: "Where to write the request file to give your admin.") var out: String
    @OptionGroup var global: GlobalOptions

    struct Result: Encodable {
        let member: String
        let requestFile: String
        let fingerprint: String
        let home: String
    }

    func run() async throws {
        let member: MemberID
        do { member = try MemberID(id) } catch { throw ClientError(.usage, error.message) }
        let displayName = name.trimmingCharacters(in: .whitespacesAndNewlines)
        guard (1...200).contains(displayName.count) else { throw ClientError(.usage, "--name is 1–200 characters") }
        guard relay.hasPrefix("https://"), URL(string: relay)?.host != nil else { throw ClientError(.usage, "--relay must be an https:// URL, e.g. https://localhost:8443") }
        let home = global.isrHome
        guard !home.hasIdentity else {
            throw ClientError(.local, "\(home.path) already holds an identity; use another --home, or remove it if it is yours and unused")
        }
        let caPEM = try home.text(ca, missing: "cannot read the CA certificate \(ca)")
        guard (try? Certificate(pemEncoded: caPEM)) != nil else { throw ClientError(.usage, "\(ca) is not a PEM certificate") }
        let passphrase = try global.passphrase.read(purpose: "your new identity \(member)", confirm: true)
        let (identity, request) = try ISRHome.newIdentity(member: member, displayName: displayName, passphrase: passphrase)
        // The request file first: if it cannot be written, nothing is left in the home.
        try ClientDocuments.write(request, to: out)
        try home.install(identity, caPEM: caPEM, config: HomeConfig(member: member.rawValue, displayName: displayName, relayUrl: relay))
        Terminal.emit(Result(member: member.rawValue, requestFile: out, fingerprint: request.fingerprint, home: home.path), json: global.json, human: """
            Keys made for \(member) in \(home.path), encrypted under your passphrase.
            Give \(out) to your admin (it holds only public keys). When they call, read them your fingerprint:
              \(request.fingerprint)
            Then run `isr enrol FILE` with the enrolment file they give back.
            """)
    }
}
