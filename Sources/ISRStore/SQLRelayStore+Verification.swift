import ISRAudit

extension SQLRelayStore {
    /// Re-hashes every leaf of the audit log in order and checks the stored tree against it: no gap, the stored
    /// nodes' root and the published head both equal the root of the leaves. What a restored store must pass before a
    /// relay serves from it. Returns the verified head.
    public func verifyAuditLog() async throws -> TreeHead {
        let stored = try await read { db in try Self.treeHead(db) }
        var frontier = MerkleFrontier()
        while frontier.size < stored.size {
            let end = min(frontier.size + 1000, stored.size)
            let leaves = try await auditLeaves(start: frontier.size, end: end)
            guard leaves.count == Int(end - frontier.size) else {
                throw StoreError(.corrupt, "the audit log has a gap between leaves \(frontier.size) and \(end); it cannot be verified")
            }
            for leaf in leaves { frontier.append(leafData: leaf) }
        }
        guard frontier.root == stored.root else {
            throw StoreError(.corrupt, "the audit log's \(stored.size) leaves do not hash to the root its stored tree gives; the store was altered")
        }
        let published = try await treeHead()
        guard published == stored else {
            throw StoreError(.corrupt, "the published tree head (size \(published.size)) is not the log's (size \(stored.size))")
        }
        return stored
    }
}
