// The relay daemon. The mutual-TLS server, registry, durable store and audit log arrive with the relay issue;
// until then this executable reports its version and says so, rather than pretending to serve.
import ISRPacket

import Foundation

let arguments = Array(CommandLine.arguments.dropFirst())
switch arguments.first {
case "--version":
    print("isr-relay \(ISRVersion.software) (packet format v\(ISRVersion.packetFormat))")
case "--help", "-h":
    print("""
        usage: isr-relay [--config FILE]

        The relay daemon is not in this build yet: this build holds the core library
        (packet format, crypto, purpose policy). --version prints the version.
        """)
default:
    FileHandle.standardError.write(Data("isr-relay: error: the relay daemon is not in this build yet; only --version and --help work\n".utf8))
    exit(2)
}
