/// Why a policy file was refused. The message names the file position or key path and what to change.
public struct PolicyError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Code: String, Sendable {
        case unreadable = "policy.unreadable"
        case tooLarge = "policy.too-large"
        case syntax = "policy.syntax"
        case unknownKey = "policy.unknown-key"
        case invalid = "policy.invalid"
    }

    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(message) [\(code.rawValue)]" }
}
