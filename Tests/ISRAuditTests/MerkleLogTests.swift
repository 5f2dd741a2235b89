import ISRCrypto
import Synchronization
import Testing
@testable import ISRAudit

/// Counts reads, to show appends and proofs touch O(log n) nodes.
final class CountingStore: MerkleNodeStore, Sendable {
    let inner = InMemoryMerkleNodes()
    private let reads = Mutex(0)
    var readCount: Int { reads.withLock { $0 } }
    func resetReads() { reads.withLock { $0 = 0 } }
    func node(level: Int, index: UInt64) throws -> [UInt8]? {
        reads.withLock { $0 += 1 }
        return try inner.node(level: level, index: index)
    }
}

func build(_ leaves: [[UInt8]]) throws -> (MerkleLog<InMemoryMerkleNodes>, InMemoryMerkleNodes) {
    let store = InMemoryMerkleNodes()
    let log = MerkleLog(store: store)
    for (i, leaf) in leaves.enumerated() {
        store.insert(try log.nodesForAppend(leafHash: MerkleHash.leaf(leaf), at: UInt64(i)))
    }
    return (log, store)
}

/// RFC 6962 MTH computed directly from the leaves: the reference the stored-node arithmetic must match.
func referenceRoot(_ leaves: ArraySlice<[UInt8]>) -> [UInt8] {
    if leaves.isEmpty { return MerkleHash.empty }
    if leaves.count == 1 { return MerkleHash.leaf(leaves[leaves.startIndex]) }
    var k = 1
    while k * 2 < leaves.count { k *= 2 }
    return MerkleHash.node(referenceRoot(leaves.prefix(k)), referenceRoot(leaves.dropFirst(k)))
}

@Suite struct MerkleLogTests {
    @Test func aFrontierOfLeavesAloneReachesTheReferenceRootAtEverySize() {
        let leaves = (0..<70).map { [UInt8(truncatingIfNeeded: $0), 0x5a] }
        var frontier = MerkleFrontier()
        #expect(frontier.root == MerkleHash.empty)
        for (count, leaf) in leaves.enumerated() {
            frontier.append(leafData: leaf)
            #expect(frontier.size == UInt64(count + 1))
            #expect(frontier.root == referenceRoot(leaves.prefix(count + 1)), "size \(count + 1)")
        }
    }

    @Test func aFrontierCompletesTheSameNodesAsTheLogAndResumesFromStoredRoots() throws {
        let leaves = (0..<70).map { [UInt8(truncatingIfNeeded: $0), 0xa5] }
        let (log, store) = try build(leaves)
        var frontier = MerkleFrontier()
        for (index, leaf) in leaves.enumerated() {
            // Resumed at every size from the nodes the log stored, it has the same root and completes the same nodes.
            let size = UInt64(index)
            let roots = try MerkleFrontier.rootPositions(size: size).map { try #require(try store.node(level: $0.level, index: $0.index)) }
            var resumed = try MerkleFrontier(size: size, roots: roots)
            #expect(resumed.root == frontier.root && resumed.size == frontier.size, "size \(size)")
            let hash = MerkleHash.leaf(leaf)
            let expected = try log.nodesForAppend(leafHash: hash, at: size)
            #expect(frontier.append(leafHash: hash) == expected, "leaf \(index)")
            #expect(resumed.append(leafHash: hash) == expected, "leaf \(index) after resuming")
        }
        #expect(MerkleFrontier.rootPositions(size: 0).isEmpty)
        #expect(MerkleFrontier.rootPositions(size: 13).map(\.level) == [3, 2, 0] && MerkleFrontier.rootPositions(size: 13).map(\.index) == [0, 2, 12])
        #expect(throws: AuditError.self) { try MerkleFrontier(size: 13, roots: [MerkleHash.empty]) }
    }

    // The certificate-transparency reference leaves and tree heads (RFC 6962 test data).
    static let ctLeaves: [[UInt8]] = [[], [0x00], [0x10], [0x20, 0x21], [0x30, 0x31], [0x40, 0x41, 0x42, 0x43],
                                      Array(0x50...0x57), Array(0x60...0x6f)]
    static let ctRoots = [
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
        "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
        "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
        "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
    ]

    @Test func treeHeadsMatchTheRFC6962ReferenceValues() throws {
        let (log, _) = try build(Self.ctLeaves)
        #expect(Hex.encode(try log.rootHash(size: 0)) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        for size in 1...8 {
            #expect(Hex.encode(try log.rootHash(size: UInt64(size))) == Self.ctRoots[size - 1], "size \(size)")
        }
    }

    static let leaves: [[UInt8]] = (0..<70).map { Array("event \($0)".utf8) }

    @Test func everyInclusionProofVerifiesAndNoAlteredOneDoes() throws {
        let (log, _) = try build(Self.leaves)
        for size in UInt64(1)...70 {
            let root = try log.rootHash(size: size)
            #expect(root == referenceRoot(Self.leaves.prefix(Int(size))))
            for index in 0..<size {
                let proof = try log.inclusionProof(index: index, size: size)
                let leafHash = MerkleHash.leaf(Self.leaves[Int(index)])
                try MerkleVerifier.verifyInclusion(leafHash: leafHash, index: index, size: size, proof: proof, root: root)
                if size > 1 {
                    #expect(throws: AuditError.self) {
                        try MerkleVerifier.verifyInclusion(leafHash: leafHash, index: (index + 1) % size, size: size, proof: proof, root: root)
                    }
                }
                #expect(throws: AuditError.self) {
                    try MerkleVerifier.verifyInclusion(leafHash: MerkleHash.leaf([0xff]), index: index, size: size, proof: proof, root: root)
                }
                if var altered = proof.first {
                    altered[0] ^= 1
                    #expect(throws: AuditError.self) {
                        try MerkleVerifier.verifyInclusion(leafHash: leafHash, index: index, size: size, proof: [altered] + proof.dropFirst(), root: root)
                    }
                    #expect(throws: AuditError.self) {
                        try MerkleVerifier.verifyInclusion(leafHash: leafHash, index: index, size: size, proof: Array(proof.dropLast()), root: root)
                    }
                }
            }
        }
        #expect(throws: AuditError.self) { try log.inclusionProof(index: 70, size: 70) }
    }

    @Test func everyConsistencyProofVerifiesAndRewrittenHistoryIsDetected() throws {
        let (log, _) = try build(Self.leaves)
        var rewritten = Self.leaves
        rewritten[5] = Array("event 5, edited".utf8)
        let (forged, _) = try build(rewritten)
        for newSize in UInt64(0)...40 {
            let newRoot = try log.rootHash(size: newSize)
            for oldSize in 0...newSize {
                let oldRoot = try log.rootHash(size: oldSize)
                let proof = try log.consistencyProof(oldSize: oldSize, newSize: newSize)
                try MerkleVerifier.verifyConsistency(oldSize: oldSize, newSize: newSize, oldRoot: oldRoot, newRoot: newRoot, proof: proof)
                // The relay rewrote leaf 5 after the client saw a head that included it.
                if oldSize > 5, oldSize < newSize {
                    let forgedProof = try forged.consistencyProof(oldSize: oldSize, newSize: newSize)
                    #expect(throws: AuditError.self) {
                        try MerkleVerifier.verifyConsistency(oldSize: oldSize, newSize: newSize, oldRoot: oldRoot,
                                                             newRoot: try forged.rootHash(size: newSize), proof: forgedProof)
                    }
                }
                if var first = proof.first {
                    first[31] ^= 0x40
                    #expect(throws: AuditError.self) {
                        try MerkleVerifier.verifyConsistency(oldSize: oldSize, newSize: newSize, oldRoot: oldRoot, newRoot: newRoot, proof: [first] + proof.dropFirst())
                    }
                }
            }
        }
        #expect(throws: AuditError.self) { try log.consistencyProof(oldSize: 5, newSize: 4) }
        #expect(throws: AuditError.self) {
            try MerkleVerifier.verifyConsistency(oldSize: 3, newSize: 3, oldRoot: try log.rootHash(size: 3), newRoot: try log.rootHash(size: 4), proof: [])
        }
    }

    @Test func appendsAndProofsTouchLogarithmicallyManyNodes() throws {
        let store = CountingStore()
        let log = MerkleLog(store: store)
        var maxAppendReads = 0
        for i in 0..<4096 {
            store.resetReads()
            store.inner.insert(try log.nodesForAppend(leafHash: MerkleHash.leaf(Array("e\(i)".utf8)), at: UInt64(i)))
            maxAppendReads = max(maxAppendReads, store.readCount)
        }
        #expect(maxAppendReads <= 12, "an append reads at most log2(n) left siblings")
        #expect(store.inner.count < 2 * 4096, "fewer than two stored nodes per leaf")
        store.resetReads()
        _ = try log.rootHash(size: 4095)
        #expect(store.readCount <= 12)
        store.resetReads()
        _ = try log.inclusionProof(index: 1234, size: 4095)
        #expect(store.readCount <= 2 * 12 + 2)
        store.resetReads()
        _ = try log.consistencyProof(oldSize: 1000, newSize: 4095)
        #expect(store.readCount <= 3 * 12 + 2)
    }

    @Test func aMissingNodeIsAnErrorNotACrash() throws {
        let log = MerkleLog(store: InMemoryMerkleNodes())
        let error = #expect(throws: AuditError.self) { try log.rootHash(size: 3) }
        #expect(error?.code == .missingNode)
        #expect(throws: AuditError.self) { try log.nodesForAppend(leafHash: MerkleHash.leaf([1]), at: 1) }
    }
}
