import Foundation
import ISRTestSupport
import Testing

/// `Vectors/open_vectors.py` opens every vector with PyNaCl and pyasn1, following only PacketFormat.md.
/// Agreement shows the spec and vectors are enough for another implementation to interoperate.
@Suite(.blocksThreads) struct SecondImplementationTests {
    @Test func aPythonImplementationReachesTheSameOutcomeOnEveryVector() throws {
        let script = PacketVectorTests.path.deletingLastPathComponent().appendingPathComponent("open_vectors.py").path
        let python = "/usr/bin/python3"
        try #require(FileManager.default.isExecutableFile(atPath: python), "Debian's python3 is needed: apt-get install -y python3-nacl python3-pyasn1")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = [script, PacketVectorTests.path.path]
        let out = Pipe()
        process.standardOutput = out
        process.standardError = out
        try process.run()
        let output = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(!output.contains("ModuleNotFoundError"), "install python3-nacl and python3-pyasn1 (see the README quick start)")
        #expect(process.terminationStatus == 0, "\(output)")
        let count = try PacketVectorTests.coder().1.decode(PacketVectorTests.File.self, from: Data(contentsOf: PacketVectorTests.path)).vectors.count
        #expect(count >= 38)
        #expect(output.contains("second implementation: \(count) of \(count) vectors agree"), "\(output)")
    }
}
