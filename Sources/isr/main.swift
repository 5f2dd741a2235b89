// The practitioner and admin CLI. Enrolment, sending, reading and acknowledging arrive with the CLI issue;
// this build offers only what the core library can do for real.
import ISRPacket
import ISRPolicy

import Foundation

let usage = """
    usage: isr <command>

    Commands available in this build:
      policy check [FILE]   validate a purpose policy file (default config/policy.toml) and list its purposes
      --version             print the version and packet format
      --help                print this help

    Enrolment, send, inbox, read, ack, confirm and audit are not in this build yet.
    Exit codes: 0 ok, 1 refused (the policy file is invalid), 2 usage.
    """

func fail(_ message: String, hint: String? = nil, code: Int32) -> Never {
    FileHandle.standardError.write(Data("isr: error: \(message)\n".utf8))
    if let hint { FileHandle.standardError.write(Data("isr: hint: \(hint)\n".utf8)) }
    exit(code)
}

let arguments = Array(CommandLine.arguments.dropFirst())
switch arguments.first {
case "--version", "version":
    print("isr \(ISRVersion.software) (packet format v\(ISRVersion.packetFormat))")
case "--help", "-h", "help", nil:
    print(usage)
case "policy" where arguments.count >= 2 && arguments[1] == "check" && arguments.count <= 3:
    let path = arguments.count == 3 ? arguments[2] : "config/policy.toml"
    do {
        let policy = try Policy.load(from: path)
        print("\(path): valid policy with \(policy.purposes.count) purposes, \(policy.lawfulBases.count) lawful bases, \(policy.fields.count) fields")
        for code in policy.purposeCodes {
            guard let purpose = policy.purposes[code] else { continue }
            let countersign = purpose.countersign ? ", countersign" : ""
            let anonymous = purpose.identifyingAllowed ? "" : ", anonymous"
            print("  \(code): read-back due: \(purpose.acknowledgementDeadline)\(countersign)\(anonymous); bases \(purpose.lawfulBases.joined(separator: ", "))")
        }
    } catch {
        fail(error.message, hint: "fix the file and run `isr policy check \(path)` again", code: 1)
    }
default:
    fail("unknown command `\(arguments.joined(separator: " ").prefix(80))`", hint: "run `isr --help` for the commands in this build", code: 2)
}
