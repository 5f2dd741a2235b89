import AsyncHTTPClient
import Foundation
import ISRAudit
import ISRPacket
import ISRStore
import Logging
import Metrics
import ServiceLifecycle
import Synchronization

/// Follows the audit log from the moment the relay starts and sends the configured content-free e-mails and webhooks
/// for each event, retrying with exponential backoff. It runs beside the server, so a slow mail server or an agency's
/// dead URL never delays accepting a packet; alerts pending at shutdown are dropped (the live stream and `isr inbox`
/// still show every event).
public struct AlertService: Service, CustomStringConvertible {
    /// What ServiceLifecycle logs for this service (not its configuration).
    public var description: String { "AlertService" }
    let service: RelayService
    let configuration: AlertConfiguration
    let pollInterval: Duration
    /// At most this many alerts are in flight (being sent or waiting to retry); more are dropped and counted.
    static let maximumInFlight = 256

    public init(service: RelayService, configuration: AlertConfiguration, pollInterval: Duration = .milliseconds(250)) {
        self.service = service
        self.configuration = configuration
        self.pollInterval = pollInterval
    }

    /// One alert on one channel.
    struct Delivery: Sendable {
        enum Channel: Sendable {
            case email(to: String)
            case webhook(AlertConfiguration.Webhook)
        }
        let alert: Alert
        let channel: Channel
        var name: String {
            if case .email = channel { "email" } else { "webhook" }
        }
    }

    public func run() async throws {
        guard !configuration.email.isEmpty || !configuration.webhooks.isEmpty else { return }
        let client = try WebhookTransport.makeClient(trustRoots: configuration.webhooks.compactMap(\.caCertificate))
        do {
            try await cancelWhenGracefulShutdown { try await follow(WebhookTransport(client: client, timeout: .seconds(30))) }
        } catch is CancellationError {
            // Shutdown: a normal end.
        }
        try await client.shutdown()
    }

    func follow(_ webhook: WebhookTransport) async throws {
        let sendmail = SendmailTransport(command: configuration.sendmail)
        var next = try await service.eventPosition()
        let inFlight = InFlight()
        try await withThrowingDiscardingTaskGroup { group in
            while !Task.isCancelled {
                let size = (try? await service.eventPosition()) ?? next
                if size > next {
                    let end = min(size, next + RelayService.eventCatchUpLimit)
                    do {
                        for delivery in try await deliveries(from: next, to: end) {
                            guard inFlight.enter(limit: Self.maximumInFlight) else {
                                Counter(label: "isr_alerts_dropped_total", dimensions: [("channel", delivery.name)]).increment()
                                service.logger.error("alert dropped: too many alerts in flight", metadata: ["event": "\(delivery.alert.event)"])
                                continue
                            }
                            group.addTask {
                                await deliver(delivery, sendmail: sendmail, webhook: webhook)
                                inFlight.leave()
                            }
                        }
                        next = end
                    } catch {
                        service.logger.error("reading events for alerts failed; retrying", metadata: ["error": "\(error)"])
                    }
                }
                try await Task.sleep(for: pollInterval)
            }
        }
    }

    /// The alerts the events in leaves `start..<end` call for.
    func deliveries(from start: UInt64, to end: UInt64) async throws -> [Delivery] {
        var result: [Delivery] = []
        let leaves = try await service.store.auditLeaves(start: start, end: end)
        for (offset, leaf) in leaves.enumerated() {
            guard let event = try? AuditEvent(derEncoded: leaf) else { continue }
            let index = start + UInt64(offset)
            for rule in configuration.email {
                if let alert = try await alert(event, index: index, for: rule.address) { result.append(Delivery(alert: alert, channel: .email(to: rule.to))) }
            }
            for rule in configuration.webhooks {
                for address in try await service.addressees(of: event) where address.agency == rule.agency {
                    if let alert = try await alert(event, index: index, for: address) { result.append(Delivery(alert: alert, channel: .webhook(rule))) }
                }
            }
        }
        return result
    }

    func alert(_ event: AuditEvent, index: UInt64, for address: MemberID) async throws -> Alert? {
        guard let body = try await service.memberEvent(event, index: index, for: address) else { return nil }
        let actor = try? MemberID(event.actor)
        var agency: String?
        if let actor, actor.agency != address.agency || body.kind != "new-packet" {
            agency = try await service.store.agency(actor.agency)?.name
        }
        return Alert(body, address: address.rawValue, purposeTitle: body.purpose.flatMap { service.policy.purposes[$0]?.title }, fromAgency: agency)
    }

    /// Sends one delivery, retrying with doubling waits; the last failure is logged and counted.
    func deliver(_ delivery: Delivery, sendmail: SendmailTransport, webhook: WebhookTransport) async {
        var wait = configuration.backoffSeconds
        for attempt in 1...configuration.attempts {
            do {
                switch delivery.channel {
                case .email(let to):
                    try await sendmail.send(delivery.alert.email(from: configuration.from, to: to, timeZone: service.calendar.timeZone), to: to)
                case .webhook(let rule):
                    let secret = rule.secretFile.flatMap { FileManager.default.contents(atPath: $0) }
                    try await webhook.post(delivery.alert.json, kind: delivery.alert.kind, to: rule.url, secret: secret)
                }
                Counter(label: "isr_alerts_sent_total", dimensions: [("channel", delivery.name)]).increment()
                return
            } catch {
                Counter(label: "isr_alert_attempts_failed_total", dimensions: [("channel", delivery.name)]).increment()
                let metadata: Logger.Metadata = ["channel": "\(delivery.name)", "event": "\(delivery.alert.event)", "attempt": "\(attempt)", "error": "\(error)"]
                guard attempt < configuration.attempts else {
                    Counter(label: "isr_alerts_failed_total", dimensions: [("channel", delivery.name)]).increment()
                    service.logger.error("alert not delivered; giving up", metadata: metadata)
                    return
                }
                service.logger.warning("alert attempt failed; retrying", metadata: metadata)
                do {
                    try await Task.sleep(for: .milliseconds(Int64(wait * 1000)))
                } catch {
                    return
                }
                wait *= 2
            }
        }
    }
}

/// How many deliveries are running or waiting to retry, guarded by its mutex.
final class InFlight: Sendable {
    private let count = Mutex(0)

    /// Counts one more unless `limit` are already in flight.
    func enter(limit: Int) -> Bool {
        count.withLock { value in
            guard value < limit else { return false }
            value += 1
            return true
        }
    }

    func leave() { count.withLock { $0 -= 1 } }
}
