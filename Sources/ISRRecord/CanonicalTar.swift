/// The one tar layout an ISR bundle uses (POSIX ustar, regular files only, every header field fixed but name, size and
/// checksum; 512-byte blocks zero-padded; two zero blocks at the end, nothing after). Any tar tool extracts it; the reader
/// accepts only exactly what the writer produces, so no byte of the file can change unnoticed.
public enum CanonicalTar {
    public static let blockSize = 512
    /// A bundle file is at most 64 MiB; a member in it at most 16 MiB.
    public static let maximumBytes = 64 * 1024 * 1024
    public static let maximumMemberBytes = 16 * 1024 * 1024

    /// A path in the archive: 1–100 bytes of `a-z 0-9 . _ - /`, no empty, `.` or `..` segment.
    public static func isValidName(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        guard (1...100).contains(bytes.count), bytes.allSatisfy({ ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) || [0x2E, 0x5F, 0x2D, 0x2F].contains($0) }) else {
            return false
        }
        return name.split(separator: "/", omittingEmptySubsequences: false).allSatisfy { !$0.isEmpty && $0 != "." && $0 != ".." }
    }

    public static func write(_ files: [(name: String, bytes: [UInt8])]) throws(RecordError) -> [UInt8] {
        var out: [UInt8] = []
        var seen = Set<String>()
        for file in files {
            guard isValidName(file.name), seen.insert(file.name).inserted else {
                throw RecordError(.unsupported, "`\(file.name)` is not a valid, unique bundle path")
            }
            guard file.bytes.count <= maximumMemberBytes else { throw RecordError(.unsupported, "`\(file.name)` is larger than 16 MiB") }
            out += header(name: file.name, size: file.bytes.count)
            out += file.bytes
            out += [UInt8](repeating: 0, count: (blockSize - file.bytes.count % blockSize) % blockSize)
        }
        out += [UInt8](repeating: 0, count: 2 * blockSize)
        guard out.count <= maximumBytes else { throw RecordError(.unsupported, "the bundle would be larger than 64 MiB: export fewer packets") }
        return out
    }

    /// The files of a canonical archive, in order; anything else is `malformed`.
    public static func read(_ bytes: [UInt8]) throws(RecordError) -> [(name: String, bytes: [UInt8])] {
        let bad = { (why: String) in RecordError(.malformed, "not a canonical ISR bundle: \(why)") }
        guard bytes.count <= maximumBytes, bytes.count % blockSize == 0, bytes.count >= 2 * blockSize else {
            throw bad("a bundle is whole 512-byte blocks, at most 64 MiB")
        }
        var files: [(name: String, bytes: [UInt8])] = []
        var offset = 0
        while offset + blockSize <= bytes.count {
            let block = Array(bytes[offset..<offset + blockSize])
            if block.allSatisfy({ $0 == 0 }) { break }
            let nameField = block[0..<100]
            let nameBytes = Array(nameField.prefix { $0 != 0 })
            guard let name = String(validating: nameBytes, as: UTF8.self), isValidName(name) else { throw bad("a member's name is not a bundle path") }
            guard let size = octal(block[124..<135]), block[135] == 0, size <= maximumMemberBytes else { throw bad("`\(name)` has no valid size") }
            guard block == header(name: name, size: size) else { throw bad("the tar header of `\(name)` is not in the bundle's fixed form") }
            let start = offset + blockSize
            let padded = (size + blockSize - 1) / blockSize * blockSize
            guard start + padded <= bytes.count else { throw bad("`\(name)` is cut short") }
            guard bytes[(start + size)..<(start + padded)].allSatisfy({ $0 == 0 }) else { throw bad("the padding after `\(name)` is not zero") }
            guard !files.contains(where: { $0.name == name }) else { throw bad("`\(name)` appears twice") }
            files.append((name, Array(bytes[start..<(start + size)])))
            offset = start + padded
        }
        guard offset + 2 * blockSize == bytes.count, bytes[offset...].allSatisfy({ $0 == 0 }) else {
            throw bad("it must end with exactly two zero blocks and nothing after them")
        }
        return files
    }

    static func header(name: String, size: Int) -> [UInt8] {
        var h = [UInt8](repeating: 0, count: blockSize)
        func put(_ text: String, at offset: Int) { for (i, b) in text.utf8.enumerated() { h[offset + i] = b } }
        put(name, at: 0)
        put("0000644", at: 100)
        put("0000000", at: 108)
        put("0000000", at: 116)
        put(String(repeating: "0", count: 11 - String(size, radix: 8).count) + String(size, radix: 8), at: 124)
        put("00000000000", at: 136)
        put("        ", at: 148)
        h[156] = 0x30
        put("ustar", at: 257)
        put("00", at: 263)
        let sum = h.reduce(0) { $0 + Int($1) }
        let digits = String(sum, radix: 8)
        for i in 148..<156 { h[i] = 0 }
        put(String(repeating: "0", count: 6 - digits.count) + digits, at: 148)
        h[155] = 0x20
        return h
    }

    static func octal(_ field: ArraySlice<UInt8>) -> Int? {
        guard field.count == 11, field.allSatisfy({ $0 >= 0x30 && $0 <= 0x37 }) else { return nil }
        return field.reduce(0) { $0 * 8 + Int($1 - 0x30) }
    }
}
