import ISRCrypto

/// Writing and reading the deployment's PEM files: private keys with mode 0600, certificates 0644, atomically.
public enum PEMFile {
    public static func write(_ text: String, to path: String, secret: Bool) throws(PKIError) {
        do {
            try AtomicFile.write(Array(text.utf8), to: path, mode: secret ? 0o600 : 0o644)
        } catch {
            throw PKIError(.fileSystem, error.message)
        }
    }

    /// Reads a PEM file of at most 64 KiB.
    public static func read(_ path: String) throws(PKIError) -> String {
        do {
            return String(decoding: try AtomicFile.read(path, limit: 64 * 1024), as: UTF8.self)
        } catch {
            throw PKIError(.fileSystem, error.message)
        }
    }
}
