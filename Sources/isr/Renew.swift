import ArgumentParser
import Crypto
import Foundation
import ISRClient
import ISRPKI
import ISRPacket
import ISRRelayAPI
import X509

/// `isr renew`: a new client certificate for the same keys, before the current one expires (over mTLS with it).
struct Renew: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Renew your client certificate before it expires (same keys; your admin is not needed).")
    @OptionGroup var global: GlobalOptions

    struct Result: Encodable {
        let member: String
        let expiresAt: Int64
    }

    func run() async throws {
        let home = global.isrHome
        let (renewal, member) = try await withSession(global) { session in
            guard let scalar = session.keys.tlsKey, let tlsKey = try? scalar.withUnsafeBytes({ try P256.Signing.PrivateKey(rawRepresentation: $0) }) else {
                throw ClientError(.local, "this identity has no TLS key")
            }
            let csr: String
            do { csr = try MemberCertificateRequest(member: session.me, privateKey: tlsKey).pem() } catch { throw ClientError(.local, "\(error)") }
            let renewal = try await session.client.post("/v1/certificate/renew", json: RenewalRequest(certificateRequest: csr)).decode(RenewalBody.self)
            guard let certificate = try? Certificate(pemEncoded: renewal.certificate), certificate.publicKey == Certificate.PublicKey(tlsKey.publicKey),
                  (try? MemberIdentity.memberID(in: certificate)) == session.me else {
                throw ClientError(.verification, "the renewed certificate is not for your key and member id; keep your current one and call your admin")
            }
            return (renewal, session.me)
        }
        try home.write(Array(renewal.certificate.utf8), to: home.certificatePath, secret: false)
        let when = ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: TimeInterval(renewal.expiresAt) / 1000))
        Terminal.emit(Result(member: member.rawValue, expiresAt: renewal.expiresAt), json: global.json, human: "Renewed \(member)'s certificate; it now expires at \(when).")
    }
}
