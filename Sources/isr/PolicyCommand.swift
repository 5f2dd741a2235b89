import ArgumentParser
import ISRClient
import ISRPolicy

/// `isr policy check [FILE]`: validate a purpose policy before deploying it.
struct PolicyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "policy", abstract: "Work with purpose policy files.", subcommands: [Check.self])

    struct Check: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Validate a purpose policy file and list its purposes.")

        @Argument(help: "The policy file.") var file = "config/policy.toml"
        @OptionGroup var global: GlobalOptions

        struct Summary: Encodable {
            let file: String
            let purposes: [String]
            let lawfulBases: Int
            let fields: Int
        }

        func run() async throws {
            let policy: Policy
            do {
                policy = try Policy.load(from: file)
            } catch {
                Terminal.error(error.message, hint: "fix the file and run `isr policy check \(file)` again")
                throw ExitCode(1)
            }
            Terminal.emit(Summary(file: file, purposes: policy.purposeCodes, lawfulBases: policy.lawfulBases.count, fields: policy.fields.count),
                          json: global.json, human: Purposes.describe(policy, header: "\(file): valid policy with \(policy.purposes.count) purposes, \(policy.lawfulBases.count) lawful bases, \(policy.conditions.count) special-category conditions, \(policy.fields.count) fields"))
        }
    }
}
