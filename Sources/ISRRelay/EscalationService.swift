import Foundation
import ISRAudit
import ISRPacket
import ISRRelayAPI
import ISRStore
import Logging
import ServiceLifecycle
import Synchronization

/// The background task: marks each recipient overdue once their read-back deadline passes (and each held packet once
/// its countersignature is late), recording who is notified, and purges the ciphertext of packets whose retention has
/// ended. Runs every `interval` until shutdown.
public struct EscalationService: Service, CustomStringConvertible {
    /// What ServiceLifecycle logs for this service (not its configuration).
    public var description: String { "EscalationService" }
    let service: RelayService
    let interval: Duration
    private let leadership = LeadershipState()

    public init(service: RelayService, interval: Duration) {
        self.service = service
        self.interval = interval
    }

    public func run() async throws {
        do {
            try await cancelWhenGracefulShutdown {
                while !Task.isCancelled {
                    await runOnce()
                    try await Task.sleep(for: interval)
                }
            }
        } catch is CancellationError {
            // Graceful shutdown cancelled the wait between passes: a normal end.
        }
    }

    /// One pass: escalate what is overdue, purge what has expired, if this instance leads (on a shared store exactly one
    /// does; another takes over within a pass of its death). Failures are logged and retried next pass.
    public func runOnce() async {
        let leads = await service.store.leads()
        if leadership.changed(to: leads) {
            service.logger.notice(leads ? "this relay instance now runs escalation and retention" : "another relay instance runs escalation and retention")
        }
        guard leads else { return }
        do {
            _ = try await service.escalateOverdue()
            _ = try await service.purgeExpired()
        } catch {
            service.logger.error("escalation pass failed; retrying next pass", metadata: ["error": "\(error)"])
        }
    }
}

/// Whether this instance led at the last pass, so a change is logged once.
final class LeadershipState: Sendable {
    private let leading = Mutex<Bool?>(nil)

    func changed(to leads: Bool) -> Bool {
        leading.withLock { previous in
            defer { previous = leads }
            return previous != leads
        }
    }
}

extension RelayService {
    /// How many overdue items or purgeable packets one pass handles; the rest wait for the next pass.
    static let passLimit = 1000

    /// Escalates every deadline that passed, once: each recipient's read-back, and each held packet's countersignature.
    /// Returns how many.
    public func escalateOverdue() async throws -> Int {
        let now = clock()
        var count = 0
        for item in try await stored({ try await store.overdue(now: now, limit: Self.passLimit) }) {
            let packet = item.packet
            let notified = try await escalationRecipients(for: packet, recipient: item.address)
            let notice = EscalationNotice(packetID: packet.id.bytes, sender: packet.sender.rawValue, deadline: item.deadline, overdueAt: now,
                                          notified: notified.map(\.rawValue), late: item.address?.rawValue ?? EscalationNotice.countersignature).signed(with: relayKey)
            var attributes = ["deadline": "\(item.deadline)", "notified": notified.map(\.rawValue).joined(separator: ",")]
            attributes[item.address == nil ? "countersignature" : "recipient"] = item.address?.rawValue ?? "due"
            do {
                _ = try await store.markOverdue(packet.id, address: item.address, notices: notified.map { ($0, notice) },
                                                event: event(item.address == nil ? "packet.countersign-overdue" : "packet.overdue", by: "relay", packet: packet.id, attributes))
                count += 1
                RelayMetrics.packetOverdue()
                logger.notice("deadline passed; escalated", metadata: ["packet": "\(packet.id)", "notified": "\(notified.count)"])
            } catch let error as StoreError where error.code == .invalidTransition {
                continue // another relay instance escalated it first
            }
        }
        return count
    }

    /// Who hears that a deadline passed: the sender and the dsl/managers of the sender's agency, and for a recipient's
    /// read-back also the duty role of that recipient's agency. A late countersignature is the sender's agency's
    /// business only: the recipients cannot see a held packet, so they are not told about it.
    func escalationRecipients(for packet: PacketRecord, recipient: MemberID?) async throws -> [MemberID] {
        var notified: [MemberID] = [packet.sender]
        for member in try await stored({ try await store.members() })
        where member.agency == packet.sender.agency && member.role.isSeniorSafeguarding && member.status == .active {
            notified.append(member.id)
        }
        if let recipient, let duty = try? MemberID("duty@\(recipient.agency.rawValue)"), try await stored({ try await store.roleAddress(duty) }) != nil {
            notified.append(duty)
        }
        var seen = Set<MemberID>()
        return notified.filter { seen.insert($0).inserted }
    }

    /// Deletes the ciphertext of packets of every kind whose retention, counted from their last event, has ended; returns how many.
    public func purgeExpired() async throws -> Int {
        var count = 0
        for packet in try await stored({ try await store.purgeable(now: clock(), limit: Self.passLimit) }) {
            do {
                _ = try await store.purge(packet.id, event: event("packet.purged", by: "relay", packet: packet.id))
                count += 1
            } catch let error as StoreError where error.code == .invalidTransition {
                continue
            }
        }
        return count
    }
}

extension RelayService {
    /// One page of the escalation notices addressed to `member` or their role addresses, newest first.
    public func notices(for member: Member, before: Int64?, limit: Int) async throws -> ListBody<NoticeBody> {
        let page = try await stored { try await store.notices(for: member.id, before: before, limit: limit) }
        return ListBody(items: page.items.compactMap { stored in
            guard let notice = try? EscalationNotice.verified(stored.body, relayKey: relayKey.publicKey) else { return nil }
            return NoticeBody(packet: stored.packetID.hex, sender: notice.sender, late: notice.late, deadline: notice.deadline, overdueAt: notice.overdueAt,
                              notified: notice.notified, signed: Data(stored.body).base64EncodedString())
        }, next: page.next.map(String.init))
    }
}
