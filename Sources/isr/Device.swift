import ArgumentParser
import Foundation
import ISRClient
import ISRCrypto
import ISRPKI
import ISRPacket
import ISRRelayAPI

/// `isr device invite|add|list|revoke`: several devices for one member, each with its own keys and certificate; senders
/// seal to every active device.
struct Device: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Use ISR on several devices: invite one from a device you have, add it on the new machine, list or revoke them.",
        subcommands: [DeviceInvite.self, DeviceAdd.self, DeviceList.self, DeviceRevoke.self])
}

/// On a device you already use: opens a one-time code for a new device.
struct DeviceInvite: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "invite", abstract: "Make a one-time code to add a new device (run on a device you already use).")
    @Argument(help: "A name for the new device: lowercase letters, digits and hyphens, e.g. work-tablet.") var name: String
    @Option(help: "How long the code works: hours or days, e.g. 2h or 1d (10m–7d).") var expires = "1d"
    @OptionGroup var global: GlobalOptions

    struct Result: Encodable {
        let member: String
        let device: String
        let code: String
        let expiresAt: Int64
    }

    func run() async throws {
        let seconds = try periodSeconds(expires, flag: "--expires", units: ["d": 86_400, "h": 3600, "m": 60], kinds: "days, hours or minutes",
                                        example: "1d or 2h", range: 600...(7 * 86_400), bounds: "10m to 7d")
        let config = try global.isrHome.config()
        let (code, body) = try await withSession(global) { session in
            try await KeyChange.openCode(purpose: "device", device: name, expiresInSeconds: Int64(seconds), session: session)
        }
        Terminal.emit(Result(member: body.member, device: name, code: code.text, expiresAt: body.expiresAt), json: global.json, human: """
            Code for \(body.member)'s new device `\(name)` (works once, until \(timeText(body.expiresAt))):
              \(code.text)
            On the new machine run:
              isr device add --code \(code.text) --relay \(config.relayUrl) --ca ca.pem
            (ca.pem is \(global.isrHome.caPath) from this machine). An admin then approves the new device's fingerprint.
            """)
    }
}

/// On the new machine: makes this device's keys and submits them with the code; run again (or --wait) once approved.
struct DeviceAdd: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "add", abstract: "Enrol this machine as another device of yours, with the code from `isr device invite`.")
    @Option(help: "The code `isr device invite` printed.") var code: String
    @Option(help: "The relay's URL (first run).") var relay: String?
    @Option(help: "The deployment CA certificate (PEM) from your other device (first run).") var ca: String?
    @OptionGroup var approval: ApprovalWait
    @OptionGroup var global: GlobalOptions

    func run() async throws {
        try await Enrol.enrolWithCode(code, relay: relay, ca: ca, approval: approval, global: global, command: "isr device add --code")
    }
}

/// Your devices and the keys each held, from the relay, each key checked against your pinned admin key.
struct DeviceList: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List your devices and their key history.")
    @OptionGroup var global: GlobalOptions

    func run() async throws {
        let config = try global.isrHome.config()
        let (keys, directory) = try await withSession(global) { session in
            (try await session.client.get("/v1/devices").decode(ListBody<DirectoryKey>.self).items, try await VerifiedDirectory.load(session.client, trust: session.trust))
        }
        let me = try MemberID(config.member)
        let rows = KeyHistory.rows(keys, verified: directory.members[me], thisDevice: config.deviceName)
        Terminal.emit(rows.map(\.json), json: global.json, human: Terminal.table(KeyHistory.header, rows.map(\.cells)))
    }
}

/// Revokes one of your devices (lost, stolen, given back): nothing more is sealed to it or accepted from it.
struct DeviceRevoke: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "revoke", abstract: "Revoke one of your devices; packets are no longer sealed to it.")
    @Argument(help: "The device's name (see `isr device list`).") var name: String
    @Option(help: "Why (e.g. laptop stolen on 3 March).") var reason: String
    @OptionGroup var global: GlobalOptions

    func run() async throws {
        let config = try global.isrHome.config()
        let keys = try await withSession(global) { session in
            try await session.client.post("/v1/devices/\(name)/revoke", json: DeviceRevocation(reason: reason)).decode(ListBody<DirectoryKey>.self).items
        }
        let rows = KeyHistory.rows(keys, verified: nil, thisDevice: config.deviceName)
        Terminal.emit(rows.map(\.json), json: global.json,
                      human: "Revoked device `\(name)`\(name == config.deviceName ? " (this one: it stops working now)" : "").\n" + Terminal.table(KeyHistory.header, rows.map(\.cells)))
    }
}

/// A member's key sets as `isr device list` and `isr directory --keys` show them.
enum KeyHistory {
    struct Row: Encodable {
        let device: String
        let state: String
        let fingerprint: String
        let since: Int64
        let until: Int64?
        let verified: Bool
        let current: Bool

        var json: Row { self }
        var cells: [String] {
            [device + (current ? " (this one)" : ""), state, fingerprint, timeText(since), until.map { timeText($0) } ?? "-",
             verified ? "yes" : "NO"]
        }
    }

    static let header = ["DEVICE", "STATE", "FINGERPRINT", "SINCE", "UNTIL", "VERIFIED"]

    /// `verified` is the member as the pinned admin key vouches for them (nil: not checked here).
    static func rows(_ keys: [DirectoryKey], verified: VerifiedMember?, thisDevice: String?) -> [Row] {
        keys.map { key in
            let signing = Data(base64Encoded: key.signingKey).flatMap { try? SigningPublicKey(bytes: Array($0)) }
            return Row(device: key.device, state: key.state, fingerprint: key.fingerprint, since: key.since, until: key.until,
                       verified: signing.map { verified?.signingKeys.contains($0) == true } ?? false,
                       current: key.device == thisDevice && key.state == "active")
        }
    }
}
