import ISRCrypto

/// Client-side checks of audit proofs (RFC 9162 §2.1.3.2 and §2.1.4.2), independent of how the relay stores
/// its tree: what `isr audit verify` runs against a relay it does not trust.
public enum MerkleVerifier {
    /// Throws unless `proof` shows the leaf with `leafHash` at `index` is in the tree of `size` leaves with `root`.
    public static func verifyInclusion(leafHash: [UInt8], index: UInt64, size: UInt64, proof: [[UInt8]], root: [UInt8]) throws(AuditError) {
        let failure = AuditError(.inclusionFailed, "the inclusion proof for leaf \(index) does not lead to the tree head of size \(size)")
        guard index < size, proof.allSatisfy({ $0.count == MerkleHash.byteCount }) else { throw failure }
        var fn = index
        var sn = size - 1
        var r = leafHash
        for p in proof {
            guard sn != 0 else { throw failure }
            if fn & 1 == 1 || fn == sn {
                r = MerkleHash.node(p, r)
                if fn & 1 == 0 {
                    while fn & 1 == 0 && fn != 0 {
                        fn >>= 1
                        sn >>= 1
                    }
                }
            } else {
                r = MerkleHash.node(r, p)
            }
            fn >>= 1
            sn >>= 1
        }
        guard sn == 0, ConstantTime.equal(r, root) else { throw failure }
    }

    /// Throws unless `proof` shows the tree (`oldSize`, `oldRoot`) is a prefix of (`newSize`, `newRoot`):
    /// history was only appended to, never rewritten.
    public static func verifyConsistency(oldSize: UInt64, newSize: UInt64, oldRoot: [UInt8], newRoot: [UInt8], proof: [[UInt8]]) throws(AuditError) {
        let failure = AuditError(.consistencyFailed, "the audit log of size \(newSize) is not an extension of the one of size \(oldSize) seen before: its history was rewritten")
        guard oldSize <= newSize, proof.allSatisfy({ $0.count == MerkleHash.byteCount }) else { throw failure }
        if oldSize == newSize {
            guard proof.isEmpty, ConstantTime.equal(oldRoot, newRoot) else { throw failure }
            return
        }
        if oldSize == 0 {
            guard proof.isEmpty, ConstantTime.equal(oldRoot, MerkleHash.empty) else { throw failure }
            return
        }
        guard !proof.isEmpty else { throw failure }
        var path = proof
        if oldSize & (oldSize - 1) == 0 { path.insert(oldRoot, at: 0) }
        var fn = oldSize - 1
        var sn = newSize - 1
        while fn & 1 == 1 {
            fn >>= 1
            sn >>= 1
        }
        var fr = path[0]
        var sr = path[0]
        for c in path.dropFirst() {
            guard sn != 0 else { throw failure }
            if fn & 1 == 1 || fn == sn {
                fr = MerkleHash.node(c, fr)
                sr = MerkleHash.node(c, sr)
                if fn & 1 == 0 {
                    while fn & 1 == 0 && fn != 0 {
                        fn >>= 1
                        sn >>= 1
                    }
                }
            } else {
                sr = MerkleHash.node(sr, c)
            }
            fn >>= 1
            sn >>= 1
        }
        guard sn == 0, ConstantTime.equal(fr, oldRoot), ConstantTime.equal(sr, newRoot) else { throw failure }
    }
}
