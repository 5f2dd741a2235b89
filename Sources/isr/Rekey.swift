import ArgumentParser
import Foundation
import ISRClient
import ISRCrypto
import ISRPKI
import ISRPacket
import ISRRelayAPI

/// `isr rekey`: new signing, encryption and TLS keys for this device under the same member id. The first run makes them
/// and sends the request; an admin approves the new fingerprint; the next run (or --wait) installs them. The old
/// encryption keys stay in the identity file, so packets sealed to them stay readable.
struct Rekey: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Replace this device's keys (same member id); an admin approves the new fingerprint.",
        discussion: "Packets sealed to your old keys stay readable: the old encryption keys are kept, encrypted, in your identity file.")
    @OptionGroup var approval: ApprovalWait
    @OptionGroup var global: GlobalOptions

    struct Result: Encodable {
        let member: String
        let device: String
        let state: String
        let fingerprint: String
    }

    func run() async throws {
        let home = global.isrHome
        let config = try home.config()
        var progress: EnrolmentProgress
        let pending: KeyChange.PendingRekey
        if let waiting = try KeyChange.pendingRekey(home) {
            pending = waiting
            progress = try await using(try RelayClient(relayUrl: config.relayUrl, caPEM: try home.text(home.caPath, missing: "no CA in \(home.path)"))) {
                try await KeyChange.progress(waiting, client: $0)
            }
        } else {
            // The new identity is sealed under the same passphrase, so it is asked for here (an unlock agent is not enough).
            let passphrase = try global.passphrase.read(purpose: "your identity \(config.member) (to re-key it)")
            let keys: PractitionerKeys
            do { keys = try IdentityFile.load(from: home.identityPath).unlock(passphrase: passphrase) } catch { throw ClientError(.local, error.message) }
            let session = try Session(home: home, keys: keys)
            do {
                progress = try await KeyChange.startRekey(session: session, passphrase: passphrase)
                await session.close()
            } catch {
                await session.close()
                throw error
            }
            guard let started = try KeyChange.pendingRekey(home) else { throw ClientError(.local, "the re-key request was not saved in \(home.path)") }
            pending = started
        }
        if approval.wait, progress.enrolment == nil {
            let asked = progress
            progress = try await using(try RelayClient(relayUrl: config.relayUrl, caPEM: try home.text(home.caPath, missing: "no CA in \(home.path)"))) { client in
                try await approval.poll(asked) { try await KeyChange.progress(pending, client: client) }
            }
        }
        guard let issued = progress.enrolment else {
            Terminal.emit(Result(member: progress.member, device: config.deviceName, state: progress.state, fingerprint: progress.fingerprint), json: global.json, human: """
                Your new keys for device `\(config.deviceName)` wait for an admin's approval; your current keys keep working until then.
                Read them your new fingerprint:
                  \(progress.fingerprint)
                Then run `isr rekey` again (or with --wait) to install them.
                """)
            if approval.wait { throw ClientError(.network, "no approval within \(approval.timeout) seconds; run `isr rekey` again later") }
            return
        }
        try KeyChange.installRekey(issued, pending: pending, home: home)
        Terminal.emit(Result(member: progress.member, device: config.deviceName, state: "rekeyed", fingerprint: progress.fingerprint), json: global.json, human: """
            Re-keyed \(progress.member)'s device `\(config.deviceName)`; the new fingerprint is \(progress.fingerprint).
            Packets sealed to your old keys stay readable here. If an unlock agent was running, run `isr unlock` again.
            """)
    }
}
