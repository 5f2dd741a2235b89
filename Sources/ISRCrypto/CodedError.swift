/// An error with a stable, machine-readable code and a message a person can act on. Each module has its own
/// code enum and names its error type (`CryptoError`, `PacketError`, `PolicyError`); messages never carry
/// key material, passphrases or packet content.
public struct CodedError<C: RawRepresentable & Hashable & Sendable>: Error, Sendable, Equatable, CustomStringConvertible
where C.RawValue == String {
    /// The module's code enum (`PacketError.Code` is `PacketErrorCode`).
    public typealias Code = C

    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(message) [\(code.rawValue)]" }
}
