import ArgumentParser
import Foundation
import ISRClient
import ISRPacket

/// Runs `body` in an enrolled practitioner's session and always closes it.
func withSession<T>(_ global: GlobalOptions, _ body: (Session) async throws -> T) async throws -> T {
    Terminal.warnIfCertificateExpiring(global.isrHome)
    let session = try Session(home: global.isrHome, passphrase: global.passphrase)
    do {
        let result = try await body(session)
        await session.close()
        return result
    } catch {
        await session.close()
        throw error
    }
}

/// Runs `body` with `client`, shutting the client down afterwards whatever happens.
func using<T>(_ client: RelayClient, _ body: (RelayClient) async throws -> T) async throws -> T {
    do {
        let result = try await body(client)
        await client.shutdown()
        return result
    } catch {
        await client.shutdown()
        throw error
    }
}

/// A period typed as a number and a unit letter (e.g. 7d, 48h, 90m), in seconds, within `range`; else a usage error
/// naming `flag`, the units (`kinds`, e.g. "days or hours"), an `example` and the `bounds`.
func periodSeconds(_ text: String, flag: String, units: [Character: Int], kinds: String, example: String,
                   range: ClosedRange<Int>, bounds: String) throws(ClientError) -> Int {
    guard let unit = text.last, let size = units[unit], let number = Int(text.dropLast()), number > 0, number <= Int.max / size else {
        throw ClientError(.usage, "\(flag) is a number of \(kinds), e.g. \(example)")
    }
    guard range.contains(number * size) else { throw ClientError(.usage, "\(flag) is from \(bounds)") }
    return number * size
}

/// A packet id argument, or a usage error.
func packetID(_ text: String) throws(ClientError) -> PacketID {
    do { return try PacketID(hex: text) } catch { throw ClientError(.usage, error.message) }
}

/// Member ids from `--to a,b`, or a usage error.
func memberIDs(_ text: String) throws(ClientError) -> [MemberID] {
    var ids: [MemberID] = []
    for part in text.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) where !part.isEmpty {
        do { ids.append(try MemberID(part)) } catch { throw ClientError(.usage, error.message) }
    }
    guard !ids.isEmpty else { throw ClientError(.usage, "name at least one recipient") }
    return ids
}

/// The items of a paged listing; if the bound on pages cut it short, says so on stderr (never silently).
func listedItems<Item>(_ page: (items: [Item], more: String?), what: String) -> [Item] {
    if let more = page.more {
        FileHandle.standardError.write(Data("isr: hint: showing the newest \(page.items.count) \(what); there are older ones (before cursor \(more))\n".utf8))
    }
    return page.items
}

/// What the sender is told once the relay accepted a packet.
struct SentResult: Encodable {
    let id: String
    let state: String
    let kind: String
    let leafIndex: UInt64
    let deadline: Int64?
}
