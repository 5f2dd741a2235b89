import Foundation
import ISRCrypto

/// Where the passphrase that unlocks an identity comes from: `ISR_PASSPHRASE`, a file, or a no-echo prompt on
/// a terminal. Without a terminal and without the other two, it is an error (never a silent empty passphrase).
public enum PassphraseSource: Sendable {
    case environment(String)
    case file(String)
    case prompt

    /// `--passphrase-file` wins, then `ISR_PASSPHRASE`, then the terminal prompt.
    public static func resolve(file: String?, environment: [String: String] = ProcessInfo.processInfo.environment) -> PassphraseSource {
        if let file { return .file(file) }
        if let value = environment["ISR_PASSPHRASE"] { return .environment(value) }
        return .prompt
    }

    /// The passphrase; `confirm` asks twice on a terminal (when creating an identity).
    public func read(purpose: String, confirm: Bool = false) throws(ClientError) -> SecretBytes {
        switch self {
        case .environment(let value):
            guard !value.isEmpty else { throw ClientError(.local, "ISR_PASSPHRASE is empty; set it, or use --passphrase-file or a terminal") }
            return SecretBytes(utf8: value)
        case .file(let path):
            let bytes: [UInt8]
            do {
                bytes = try AtomicFile.read(path, limit: 4096)
            } catch {
                throw ClientError(.local, "cannot read the passphrase file: \(error.message)")
            }
            var text = bytes
            while let last = text.last, last == 0x0a || last == 0x0d { text.removeLast() }
            guard !text.isEmpty else { throw ClientError(.local, "the passphrase file \(path) is empty") }
            return SecretBytes(consuming: &text)
        case .prompt:
            guard isatty(STDIN_FILENO) == 1 else {
                throw ClientError(.local, "no passphrase: set ISR_PASSPHRASE or pass --passphrase-file FILE (no terminal to ask on)")
            }
            let first = try Self.ask("Passphrase for \(purpose): ")
            if confirm {
                let second = try Self.ask("Repeat the passphrase: ")
                guard first.constantTimeEquals(second) else { throw ClientError(.local, "the two passphrases differ; nothing was written") }
            }
            return first
        }
    }

    private static func ask(_ prompt: String) throws(ClientError) -> SecretBytes {
        // getpass turns echo off and reads from the controlling terminal.
        guard let pointer = getpass(prompt) else { throw ClientError(.local, "could not read a passphrase from the terminal") }
        let length = strlen(pointer)
        let secret = SecretBytes(count: length) { out in
            out.copyMemory(from: UnsafeRawBufferPointer(start: pointer, count: length))
        }
        memset(pointer, 0, length)
        return secret
    }
}
