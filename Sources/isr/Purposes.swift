import ArgumentParser
import ISRClient
import ISRPolicy

/// `isr purposes`: the purposes the relay enforces, their lawful bases, fields and deadlines.
struct Purposes: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List the purposes, lawful bases, fields and deadlines of the relay's policy.")
    @OptionGroup var global: GlobalOptions

    struct Entry: Encodable {
        let code: String
        let title: String
        let lawfulBases: [String]
        let conditions: [String]
        let allowedFields: [String]
        let requiredFields: [String]
        let identifyingAllowed: Bool
        let recipientAgencyKinds: [String]
        let countersign: Bool
        let deadline: String
        let retentionDays: Int
    }

    func run() async throws {
        let (client, _) = try global.client()
        defer { Task { await client.shutdown() } }
        let reply = try await client.get("/v1/policy")
        let policy: Policy
        do {
            policy = try Policy(toml: String(decoding: reply.body, as: UTF8.self), source: "the relay's policy")
        } catch {
            throw ClientError(.verification, "the relay's policy cannot be read: \(error.message)")
        }
        await client.shutdown()
        let entries = policy.purposeCodes.compactMap { policy.purposes[$0] }.map {
            Entry(code: $0.code, title: $0.title, lawfulBases: $0.lawfulBases, conditions: $0.conditions, allowedFields: $0.allowedFields, requiredFields: $0.requiredFields,
                  identifyingAllowed: $0.identifyingAllowed, recipientAgencyKinds: $0.recipientAgencyKinds, countersign: $0.countersign,
                  deadline: $0.acknowledgementDeadline.description, retentionDays: $0.retentionDays)
        }
        Terminal.emit(entries, json: global.json, human: Self.describe(policy, header: nil))
    }

    static func describe(_ policy: Policy, header: String?) -> String {
        var lines = header.map { [$0] } ?? []
        for code in policy.purposeCodes {
            guard let purpose = policy.purposes[code] else { continue }
            let flags = [purpose.countersign ? "countersign" : nil, purpose.identifyingAllowed ? nil : "anonymous"].compactMap { $0 }
            lines.append("  \(code): read-back due: \(purpose.acknowledgementDeadline)\(flags.isEmpty ? "" : ", " + flags.joined(separator: ", ")); bases \(purpose.lawfulBases.isEmpty ? "none needed" : purpose.lawfulBases.joined(separator: ", "))"
                         + (purpose.specialCategory ? "; special-category conditions \(purpose.conditions.joined(separator: ", "))" : ""))
            lines.append("      required fields: \(purpose.requiredFields.joined(separator: ", ")); allowed: \(purpose.allowedFields.joined(separator: ", "))")
        }
        return lines.joined(separator: "\n")
    }
}
