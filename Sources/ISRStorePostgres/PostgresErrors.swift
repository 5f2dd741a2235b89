import ISRStore
import NIOCore
import PostgresNIO

/// How PostgreSQL's errors read as the store's: constraint violations are conflicts (as SQLite's are), a lost or
/// refused connection is `unavailable`, everything else the store shares with SQLite.
enum PostgresErrors {
    static func storeError(_ error: any Error) -> StoreError {
        if let error = error as? StoreError { return error }
        if let state = sqlState(error), state.hasPrefix("23") {
            return StoreError(.alreadyExists, "the record already exists or refers to one that does not (\(describe(error)))")
        }
        if let shared = StoreError.shared(error) { return shared }
        return StoreError(.unavailable, "the relay's PostgreSQL store could not complete the operation: \(describe(error))")
    }

    static func sqlState(_ error: any Error) -> String? {
        (error as? PSQLError)?.serverInfo?[.sqlState]
    }

    /// The connection broke or could not be made: nothing on the server depends on this attempt.
    static func isConnectionLoss(_ error: any Error) -> Bool {
        if let error = error as? PSQLError {
            switch error.code {
            case .serverClosedConnection, .clientClosedConnection, .connectionError, .uncleanShutdown: return true
            default: break
            }
            // admin_shutdown, crash_shutdown, cannot_connect_now
            if let state = sqlState(error), ["57P01", "57P02", "57P03"].contains(state) { return true }
            return false
        }
        return error is ChannelError || error is IOError
    }

    /// A one-line description with the server's SQLSTATE and message, never the statement's bound values.
    static func describe(_ error: any Error) -> String {
        if let error = error as? PSQLError {
            if let info = error.serverInfo {
                return "\(info[.sqlState] ?? "?????") \(info[.message] ?? "")"
            }
            return "\(error.code)"
        }
        if let error = error as? PostgresDecodingError {
            return "column `\(error.columnName)` (\(error.postgresType), \(error.postgresFormat) format) could not be read as \(error.targetType)"
        }
        return String(describing: error)
    }
}
