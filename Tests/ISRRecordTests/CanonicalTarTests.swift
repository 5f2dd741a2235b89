import Foundation
import ISRTestSupport
import Testing
@testable import ISRRecord

/// The bundle's tar layout: any tar tool reads it, and the reader takes nothing but what the writer makes.
@Suite(.blocksThreads) struct CanonicalTarTests {
    let files: [(name: String, bytes: [UInt8])] = [("manifest.json", Array("{}".utf8)), ("packets/a.isr", [UInt8](repeating: 7, count: 1000)),
                                                   ("empty", [])]

    @Test func whatIsWrittenReadsBackExactly() throws {
        let archive = try CanonicalTar.write(files)
        #expect(archive.count == 512 * (1 + 1 + 1 + 2 + 1 + 2))
        let read = try CanonicalTar.read(archive)
        #expect(read.map(\.name) == files.map(\.name) && read.map(\.bytes) == files.map(\.bytes))
    }

    @Test func gnuTarListsAndExtractsIt() throws {
        let dir = NSTemporaryDirectory() + "isr-tar-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Data(try CanonicalTar.write(files)).write(to: URL(fileURLWithPath: dir + "/b.tar"))
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/tar")
        process.arguments = ["-xf", "b.tar"]
        process.currentDirectoryURL = URL(fileURLWithPath: dir)
        try process.run()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        #expect(try Data(contentsOf: URL(fileURLWithPath: dir + "/packets/a.isr")) == Data(repeating: 7, count: 1000))
    }

    @Test func everyChangedByteIsRefusedOrChangesAFile() throws {
        let archive = try CanonicalTar.write(files)
        for index in archive.indices {
            var changed = archive
            changed[index] ^= 0x01
            if let read = try? CanonicalTar.read(changed) {
                // Only a byte inside a file's content may change and still parse: the signed manifest catches that.
                #expect(read.map(\.name) == files.map(\.name) && read.map(\.bytes) != files.map(\.bytes), "byte \(index) changed nothing visible")
            }
        }
    }

    @Test func badNamesAndTrailingDataAreRefused() throws {
        #expect(throws: RecordError.self) { try CanonicalTar.write([("../etc/passwd", [])]) }
        #expect(throws: RecordError.self) { try CanonicalTar.write([("A", []), ("A", [])]) }
        #expect(throws: RecordError.self) { try CanonicalTar.read(try CanonicalTar.write(files) + [UInt8](repeating: 0, count: 512)) }
        #expect(throws: RecordError.self) { try CanonicalTar.read([]) }
    }
}
