import Foundation
import ISRAudit
import ISRPacket
import ISRRelayAPI
import ISRStore
import Logging
import ServiceLifecycle

/// The background task: marks packets overdue once their deadline passes without a read-back, recording who
/// is notified (sender, the sender agency's dsl/managers, each recipient agency's duty role), and purges the
/// ciphertext of confirmed packets whose retention has ended. Runs every `interval` until shutdown.
public struct EscalationService: Service {
    let service: RelayService
    let interval: Duration

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

    /// One pass: escalate what is overdue, purge what has expired. Failures are logged and retried next pass.
    public func runOnce() async {
        do {
            _ = try await service.escalateOverdue()
            _ = try await service.purgeExpired()
        } catch {
            service.logger.error("escalation pass failed; retrying next pass", metadata: ["error": "\(error)"])
        }
    }
}

extension RelayService {
    /// Escalates every packet past its deadline, once; returns how many.
    public func escalateOverdue() async throws -> Int {
        let now = clock()
        var count = 0
        for packet in try await stored({ try await store.overdue(now: now) }) {
            let notified = try await escalationRecipients(for: packet)
            let notice = EscalationNotice(packetID: packet.id.bytes, sender: packet.sender.rawValue, deadline: packet.deadline ?? 0, overdueAt: now,
                                          notified: notified.map(\.rawValue)).signed(with: relayKey)
            do {
                _ = try await store.markOverdue(packet.id, notices: notified.map { ($0, notice) }, event: event("packet.overdue", by: "relay", packet: packet.id, [
                    "deadline": "\(packet.deadline ?? 0)", "notified": notified.map(\.rawValue).joined(separator: ","),
                ]))
                count += 1
                RelayMetrics.packetOverdue()
                logger.notice("packet overdue; escalated", metadata: ["packet": "\(packet.id)", "notified": "\(notified.count)"])
            } catch let error as StoreError where error.code == .invalidTransition {
                continue // another relay instance escalated it first
            }
        }
        return count
    }

    /// Who hears about an overdue packet: its sender, the dsl/managers of the sender's agency, and the duty role of each recipient agency.
    func escalationRecipients(for packet: PacketRecord) async throws -> [MemberID] {
        var notified: [MemberID] = [packet.sender]
        for member in try await stored({ try await store.members() })
        where member.agency == packet.sender.agency && member.role.isSeniorSafeguarding && member.status == .active {
            notified.append(member.id)
        }
        for agency in Set(packet.recipients.map(\.agency)) {
            if let duty = try? MemberID("duty@\(agency.rawValue)"), try await stored({ try await store.roleAddress(duty) }) != nil {
                notified.append(duty)
            }
        }
        var seen = Set<MemberID>()
        return notified.filter { seen.insert($0).inserted }
    }

    /// Deletes the ciphertext of confirmed packets past their retention; returns how many.
    public func purgeExpired() async throws -> Int {
        var count = 0
        for packet in try await stored({ try await store.purgeable(now: clock()) }) {
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
    public func notices(for member: Member) async throws -> [NoticeBody] {
        try await stored { try await store.notices(for: member.id) }.compactMap { stored in
            guard let notice = try? EscalationNotice.verified(stored.body, relayKey: relayKey.publicKey) else { return nil }
            return NoticeBody(packet: stored.packetID.hex, sender: notice.sender, deadline: notice.deadline, overdueAt: notice.overdueAt,
                              notified: notice.notified, signed: Data(stored.body).base64EncodedString())
        }
    }
}
