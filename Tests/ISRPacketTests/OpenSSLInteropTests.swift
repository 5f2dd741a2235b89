import Foundation
import ISRTestSupport
import Testing
@testable import ISRPacket

/// An independent DER parser (OpenSSL's) must read every valid packet, header and body: the format is plain DER,
/// not something only this implementation understands.
@Suite(.blocksThreads) struct OpenSSLInteropTests {
    static func asn1parse(_ bytes: [UInt8]) throws -> (Int32, String) {
        let path = NSTemporaryDirectory() + "isr-der-\(UUID().uuidString).der"
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["openssl", "asn1parse", "-inform", "DER", "-in", path]
        let out = Pipe()
        process.standardOutput = out
        process.standardError = Pipe()
        try process.run()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationStatus, text)
    }

    @Test func opensslParsesPacketsHeadersAndBodies() throws {
        let data = try Data(contentsOf: PacketVectorTests.path)
        let file = try PacketVectorTests.coder().1.decode(PacketVectorTests.File.self, from: data)
        let opened = file.vectors.filter { $0.expected.result == "opened" }
        #expect(opened.count >= 10)
        for vector in opened {
            let (packetStatus, packetDump) = try Self.asn1parse([UInt8](hex: vector.packet))
            #expect(packetStatus == 0, "\(vector.name)")
            let version = vector.name == "version-1-packet" ? ":01" : ":02"
            #expect(packetDump.contains("INTEGER           \(version)"), "version \(version) in \(vector.name)")
            let (headerStatus, headerDump) = try Self.asn1parse([UInt8](hex: try #require(vector.expected.headerDer)))
            #expect(headerStatus == 0)
            #expect(headerDump.contains(":\(try #require(vector.expected.summary?.kind))\n"), "kind readable in \(vector.name)")
            #expect(headerDump.contains(":\(vector.expectedSender)\n"))
            let (bodyStatus, _) = try Self.asn1parse([UInt8](hex: try #require(vector.expected.bodyDer)))
            #expect(bodyStatus == 0)
        }
    }
}
