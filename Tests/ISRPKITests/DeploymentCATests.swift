import Crypto
import Foundation
import ISRPacket
import Testing
import X509
@testable import ISRPKI

@Suite struct DeploymentCATests {
    let alice = try! MemberID("alice@school-a")

    func write(_ text: String, _ path: String) throws { try text.write(toFile: path, atomically: true, encoding: .utf8) }

    @Test func caRoundTripsThroughPEMAndRefusesAForeignKey() throws {
        let ca = try DeploymentCA.create(name: "Test deployment")
        let pem = try ca.certificate.serializeAsPEM().pemString
        let loaded = try DeploymentCA(certificatePEM: pem, privateKeyPEM: ca.privateKeyPEM)
        #expect(loaded.certificate == ca.certificate)
        let foreign = #expect(throws: PKIError.self) { try DeploymentCA(certificatePEM: pem, privateKeyPEM: P256.Signing.PrivateKey().pemRepresentation) }
        #expect(foreign?.code == .invalidPEM)
        #expect(throws: PKIError.self) { try DeploymentCA(certificatePEM: "not pem", privateKeyPEM: ca.privateKeyPEM) }
    }

    @Test func opensslVerifiesTheRelayCertificateForLoopbackNames() throws {
        let dir = try OpenSSL.temporaryDirectory()
        let ca = try DeploymentCA.create(name: "Test deployment")
        let key = P256.Signing.PrivateKey()
        let server = try ca.issueServerCertificate(hosts: ["localhost", "127.0.0.1", "::1"], publicKey: key.publicKey)
        try write(try ca.certificate.serializeAsPEM().pemString, dir + "/ca.pem")
        try write(try server.serializeAsPEM().pemString, dir + "/relay.pem")
        let verify = try OpenSSL.run(["verify", "-CAfile", "ca.pem", "-purpose", "sslserver", "relay.pem"], directory: dir)
        #expect(verify.status == 0, "\(verify.output)")
        let text = try OpenSSL.run(["x509", "-in", "relay.pem", "-noout", "-ext", "subjectAltName,extendedKeyUsage,basicConstraints"], directory: dir)
        #expect(text.output.contains("DNS:localhost"))
        #expect(text.output.contains("IP Address:127.0.0.1"))
        #expect(text.output.contains("IP Address:0:0:0:0:0:0:0:1"))
        #expect(text.output.contains("TLS Web Server Authentication"))
        #expect(text.output.contains("CA:FALSE"))
        #expect(throws: PKIError.self) { try ca.issueServerCertificate(hosts: ["Bad Host!"], publicKey: key.publicKey) }
        #expect(throws: PKIError.self) { try ca.issueServerCertificate(hosts: [], publicKey: key.publicKey) }
    }

    @Test func memberCertificatesCarryTheMemberIdAndVerify() throws {
        let dir = try OpenSSL.temporaryDirectory()
        let ca = try DeploymentCA.create(name: "Test deployment")
        let request = try MemberCertificateRequest(member: alice, privateKey: P256.Signing.PrivateKey())
        let parsed = try MemberCertificateRequest(pem: request.pem())
        #expect(parsed.member == alice)
        let certificate = try ca.issueClientCertificate(for: parsed, expected: alice)
        #expect(try MemberIdentity.memberID(in: certificate) == alice)
        try write(try ca.certificate.serializeAsPEM().pemString, dir + "/ca.pem")
        try write(try certificate.serializeAsPEM().pemString, dir + "/alice.pem")
        let verify = try OpenSSL.run(["verify", "-CAfile", "ca.pem", "-purpose", "sslclient", "alice.pem"], directory: dir)
        #expect(verify.status == 0, "\(verify.output)")
        let text = try OpenSSL.run(["x509", "-in", "alice.pem", "-noout", "-ext", "subjectAltName"], directory: dir)
        #expect(text.output.contains("URI:isr:member:alice@school-a"))
        let wrongPerson = #expect(throws: PKIError.self) { try ca.issueClientCertificate(for: parsed, expected: try MemberID("bob@health")) }
        #expect(wrongPerson?.code == .requestIdentity)
        // A server certificate names no member.
        let server = try ca.issueServerCertificate(hosts: ["localhost"], publicKey: P256.Signing.PrivateKey().publicKey)
        #expect(throws: PKIError.self) { try MemberIdentity.memberID(in: server) }
    }

    @Test func requestsMadeByOpenSSLAreAcceptedAndBadOnesRefused() throws {
        let dir = try OpenSSL.temporaryDirectory()
        #expect(try OpenSSL.run(["ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", "k.pem"], directory: dir).status == 0)
        let made = try OpenSSL.run(["req", "-new", "-key", "k.pem", "-subj", "/CN=alice@school-a",
                                    "-addext", "subjectAltName=URI:isr:member:alice@school-a", "-out", "req.pem"], directory: dir)
        #expect(made.status == 0, "\(made.output)")
        let pem = try String(contentsOfFile: dir + "/req.pem", encoding: .utf8)
        #expect(try MemberCertificateRequest(pem: pem).member == alice)

        let noURI = try OpenSSL.run(["req", "-new", "-key", "k.pem", "-subj", "/CN=alice@school-a", "-out", "plain.pem"], directory: dir)
        #expect(noURI.status == 0)
        let refused = #expect(throws: PKIError.self) { try MemberCertificateRequest(pem: String(contentsOfFile: dir + "/plain.pem", encoding: .utf8)) }
        #expect(refused?.code == .requestIdentity)

        let mismatch = try OpenSSL.run(["req", "-new", "-key", "k.pem", "-subj", "/CN=mallory@elsewhere",
                                        "-addext", "subjectAltName=URI:isr:member:alice@school-a", "-out", "mismatch.pem"], directory: dir)
        #expect(mismatch.status == 0)
        #expect(throws: PKIError.self) { try MemberCertificateRequest(pem: String(contentsOfFile: dir + "/mismatch.pem", encoding: .utf8)) }

        // Change one character of the base64 body (within the signature): the signature no longer matches.
        var lines = pem.split(separator: "\n").map(String.init)
        let target = lines.count - 2
        var chars = Array(lines[target])
        chars[4] = chars[4] == "A" ? "B" : "A"
        lines[target] = String(chars)
        #expect(throws: PKIError.self) { try MemberCertificateRequest(pem: lines.joined(separator: "\n")) }
        #expect(throws: PKIError.self) { try MemberCertificateRequest(pem: String(repeating: "A", count: 9000)) }
    }
}
