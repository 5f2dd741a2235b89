import ISRCrypto

/// Why a bundle could not be written, read or verified.
public typealias RecordError = CodedError<RecordErrorCode>

/// The stable codes of `RecordError`.
public enum RecordErrorCode: String, Sendable, CaseIterable {
    /// Not a canonical ISR bundle (tar layout, sizes, names, manifest shape).
    case malformed = "bundle.malformed"
    /// A file differs from what the signed manifest lists, or a file is missing or extra.
    case altered = "bundle.altered"
    /// A signature, AEAD binding or inclusion proof does not verify.
    case unverified = "bundle.unverified"
    /// Asked to build something the format cannot hold.
    case unsupported = "bundle.unsupported"
}
