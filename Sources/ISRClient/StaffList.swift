import Foundation
import ISRCrypto
import ISRPacket

/// A staff list for `isr admin member invite --csv`: RFC 4180 CSV with the header `id,name,role` (any order, any case;
/// other columns ignored), fields optionally in double quotes (`""` for a quote). Bounded: 1 MiB, 500 people.
public struct StaffList: Sendable, Equatable {
    public struct Person: Sendable, Equatable {
        public let id: MemberID
        public let name: String
        public let role: String
    }

    public static let maximumPeople = 500
    public let people: [Person]

    public init(csv text: String) throws(ClientError) {
        guard text.utf8.count <= 1024 * 1024 else { throw ClientError(.usage, "the staff list is larger than 1 MiB; split it") }
        let rows = try Self.rows(text).filter { !($0.count == 1 && $0[0].trimmingCharacters(in: .whitespaces).isEmpty) }
        guard let header = rows.first?.map({ $0.trimmingCharacters(in: .whitespaces).lowercased() }),
              let idColumn = header.firstIndex(of: "id"), let nameColumn = header.firstIndex(of: "name"), let roleColumn = header.firstIndex(of: "role") else {
            throw ClientError(.usage, "the staff list's first line must name the columns id,name,role")
        }
        var people: [Person] = []
        var seen = Set<MemberID>()
        for (index, row) in rows.dropFirst().enumerated() {
            let line = "staff list row \(index + 2)"
            guard row.count == header.count else { throw ClientError(.usage, "\(line) has \(row.count) fields; the header has \(header.count)") }
            let id: MemberID
            do { id = try MemberID(row[idColumn].trimmingCharacters(in: .whitespaces)) } catch { throw ClientError(.usage, "\(line): \(error.message)") }
            guard seen.insert(id).inserted else { throw ClientError(.usage, "\(line): \(id) appears twice") }
            let name = row[nameColumn].trimmingCharacters(in: .whitespaces)
            guard (1...200).contains(name.count), PlainText.isValid(name), !name.contains("\n"), !name.contains("\t") else {
                throw ClientError(.usage, "\(line): a name is 1–200 characters on one line")
            }
            people.append(Person(id: id, name: name, role: row[roleColumn].trimmingCharacters(in: .whitespaces)))
        }
        guard (1...Self.maximumPeople).contains(people.count) else {
            throw ClientError(.usage, "a staff list holds 1–\(Self.maximumPeople) people; this one has \(people.count)")
        }
        self.people = people
    }

    /// RFC 4180 records: commas separate fields, CRLF or LF ends a record, quotes protect both.
    static func rows(_ text: String) throws(ClientError) -> [[String]] {
        var rows: [[String]] = []
        var row: [String] = []
        var field = ""
        var quoted = false
        var characters = Array(text).makeIterator()
        var pending: Character? = characters.next()
        while let character = pending {
            pending = characters.next()
            if quoted {
                if character == "\"" {
                    if pending == "\"" { field.append("\""); pending = characters.next() } else { quoted = false }
                } else {
                    field.append(character)
                }
                continue
            }
            switch character {
            case "\"" where field.isEmpty: quoted = true
            case ",": row.append(field); field = ""
            case "\n", "\r\n": row.append(field); rows.append(row); row = []; field = ""
            default: field.append(character)
            }
        }
        guard !quoted else { throw ClientError(.usage, "the staff list ends inside a quoted field") }
        if !field.isEmpty || !row.isEmpty { row.append(field); rows.append(row) }
        return rows
    }

    /// A field for writing CSV: quoted when it holds a comma, quote or line break.
    public static func field(_ text: String) -> String {
        guard text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r\n" }) else { return text }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
