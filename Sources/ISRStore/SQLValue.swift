import Foundation

/// A value as both stores bind and read it: SQLite's storage classes less REAL (nothing here is a float); booleans are
/// integers 0 and 1 in both schemas.
public enum SQLValue: Sendable, Equatable {
    case null
    case integer(Int64)
    case text(String)
    case blob([UInt8])
}

/// A Swift value a statement can bind.
public protocol SQLArgument {
    var sqlValue: SQLValue { get }
}

/// A Swift value a column can be decoded into; a mismatch is a `corrupt` store error naming the column.
public protocol SQLColumnValue {
    init(sqlValue: SQLValue) throws(SQLDecodingError)
}

/// A column held something its reader did not expect.
public struct SQLDecodingError: Error {
    public var expected: String
}

extension SQLValue: SQLArgument {
    public var sqlValue: SQLValue { self }
}

extension Int64: SQLArgument, SQLColumnValue {
    public var sqlValue: SQLValue { .integer(self) }
    public init(sqlValue: SQLValue) throws(SQLDecodingError) {
        guard case .integer(let value) = sqlValue else { throw SQLDecodingError(expected: "an integer") }
        self = value
    }
}

extension Int: SQLArgument, SQLColumnValue {
    public var sqlValue: SQLValue { .integer(Int64(self)) }
    public init(sqlValue: SQLValue) throws(SQLDecodingError) {
        self = Int(try Int64(sqlValue: sqlValue))
    }
}

extension Bool: SQLArgument, SQLColumnValue {
    public var sqlValue: SQLValue { .integer(self ? 1 : 0) }
    public init(sqlValue: SQLValue) throws(SQLDecodingError) {
        self = try Int64(sqlValue: sqlValue) != 0
    }
}

extension String: SQLArgument, SQLColumnValue {
    public var sqlValue: SQLValue { .text(self) }
    public init(sqlValue: SQLValue) throws(SQLDecodingError) {
        guard case .text(let value) = sqlValue else { throw SQLDecodingError(expected: "text") }
        self = value
    }
}

extension Data: SQLArgument, SQLColumnValue {
    public var sqlValue: SQLValue { .blob(Array(self)) }
    public init(sqlValue: SQLValue) throws(SQLDecodingError) {
        guard case .blob(let value) = sqlValue else { throw SQLDecodingError(expected: "bytes") }
        self = Data(value)
    }
}

extension Array: SQLArgument, SQLColumnValue where Element == UInt8 {
    public var sqlValue: SQLValue { .blob(self) }
    public init(sqlValue: SQLValue) throws(SQLDecodingError) {
        guard case .blob(let value) = sqlValue else { throw SQLDecodingError(expected: "bytes") }
        self = value
    }
}

extension Optional: SQLArgument where Wrapped: SQLArgument {
    public var sqlValue: SQLValue { self?.sqlValue ?? .null }
}

extension Optional: SQLColumnValue where Wrapped: SQLColumnValue {
    public init(sqlValue: SQLValue) throws(SQLDecodingError) {
        if case .null = sqlValue { self = nil } else { self = try Wrapped(sqlValue: sqlValue) }
    }
}
