import Crypto
import Foundation
import ISRPacket
import ISRTestSupport
import Testing
import X509
@testable import ISRPKI

/// Our certificates in a real TLS 1.3 handshake with client authentication, between OpenSSL's own server and
/// client: the deployment PKI works with an independent TLS stack, and a certificate from another CA does not.
@Suite(.serialized, .blocksThreads) struct MutualTLSHandshakeTests {
    struct Deployment {
        let dir: String
    }

    func makeDeployment() throws -> Deployment {
        let dir = try OpenSSL.temporaryDirectory()
        let ca = try DeploymentCA.create(name: "Handshake test")
        let serverKey = P256.Signing.PrivateKey()
        let clientKey = P256.Signing.PrivateKey()
        let server = try ca.issueServerCertificate(hosts: ["localhost", "127.0.0.1"], publicKey: serverKey.publicKey)
        let client = try ca.issueClientCertificate(for: MemberCertificateRequest(member: MemberID("alice@school-a"), privateKey: clientKey))
        let stranger = try DeploymentCA.create(name: "Another deployment")
        let strangerKey = P256.Signing.PrivateKey()
        let strangerCert = try stranger.issueClientCertificate(for: MemberCertificateRequest(member: MemberID("alice@school-a"), privateKey: strangerKey))
        let files: [(String, String)] = [
            ("ca.pem", try ca.certificate.serializeAsPEM().pemString),
            ("relay.pem", try server.serializeAsPEM().pemString), ("relay.key", serverKey.pemRepresentation),
            ("alice.pem", try client.serializeAsPEM().pemString), ("alice.key", clientKey.pemRepresentation),
            ("stranger.pem", try strangerCert.serializeAsPEM().pemString), ("stranger.key", strangerKey.pemRepresentation),
        ]
        for (name, text) in files { try text.write(toFile: dir + "/" + name, atomically: true, encoding: .utf8) }
        return Deployment(dir: dir)
    }

    /// What each side saw. In TLS 1.3 the client finishes before the server checks its certificate, so the
    /// server's view decides whether the member got in.
    struct Handshake {
        let client: OpenSSL.Result
        let server: String
    }

    /// Starts `openssl s_server` on a free loopback port (bounded retries), runs one client, stops the server.
    func handshake(_ deployment: Deployment, clientCert: String, clientKey: String) throws -> Handshake {
        for attempt in 0..<5 {
            let port = Int.random(in: 20_000...60_000)
            let server = Process()
            server.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            server.arguments = ["openssl", "s_server", "-accept", "127.0.0.1:\(port)", "-cert", "relay.pem", "-key", "relay.key",
                                "-CAfile", "ca.pem", "-Verify", "1", "-verify_return_error", "-tls1_3", "-naccept", "1", "-quiet"]
            server.currentDirectoryURL = URL(fileURLWithPath: deployment.dir)
            let serverOut = Pipe()
            server.standardOutput = serverOut
            server.standardError = serverOut
            server.standardInput = Pipe()
            try server.run()
            Thread.sleep(forTimeInterval: 0.3 + Double(attempt) * 0.2)
            guard server.isRunning else {  // port taken: try another
                server.waitUntilExit()
                continue
            }
            let client = try OpenSSL.run(["s_client", "-connect", "127.0.0.1:\(port)", "-servername", "localhost", "-CAfile", "ca.pem",
                                          "-cert", clientCert, "-key", clientKey, "-verify_return_error", "-brief"], input: "ping\n", directory: deployment.dir)
            // -naccept 1: the server exits after this connection; give it at most 3 s.
            for _ in 0..<30 where server.isRunning { Thread.sleep(forTimeInterval: 0.1) }
            if server.isRunning { server.terminate() }
            server.waitUntilExit()
            let serverOutput = String(decoding: serverOut.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            return Handshake(client: client, server: serverOutput)
        }
        throw PKIError(.fileSystem, "no free loopback port for openssl s_server after 5 attempts")
    }

    @Test func aMemberCertificateCompletesATLS13MutualHandshake() throws {
        let deployment = try makeDeployment()
        let result = try handshake(deployment, clientCert: "alice.pem", clientKey: "alice.key")
        #expect(result.client.output.contains("Protocol version: TLSv1.3"), "\(result.client.output)")
        #expect(result.client.output.contains("Verification: OK"), "the client verified the relay certificate")
        #expect(result.server.contains("ping"), "the server accepted the member and received data: \(result.server)")
    }

    @Test func aCertificateFromAnotherDeploymentIsRefused() throws {
        let deployment = try makeDeployment()
        let result = try handshake(deployment, clientCert: "stranger.pem", clientKey: "stranger.key")
        #expect(!result.server.contains("ping"), "no data from a stranger reached the server")
        #expect(result.server.contains("unable to get local issuer certificate") || result.server.contains("certificate verify failed"), "\(result.server)")
    }
}
