import Testing
@testable import ISRStore

/// The queue behind group commit: one drainer at a time, groups in arrival order, late arrivals joining a group only
/// when its committer asks for more.
@Suite struct CommitQueueTests {
    @Test func oneDrainerTakesGroupsInOrderAndMoreNeverEndsTheDraining() {
        let queue = CommitQueue<Int>(maximumGroup: 3)
        #expect(queue.enqueue(1))  // the first caller starts draining
        #expect(!queue.enqueue(2))
        #expect(queue.nextGroup() == [1, 2])
        for n in 3...7 { #expect(!queue.enqueue(n)) }
        // Arrivals while a group waited for its lock join it, up to what it still has room for.
        #expect(queue.more(upTo: 1) == [3])
        #expect(queue.more(upTo: 0) == [])
        #expect(queue.nextGroup() == [4, 5, 6])
        #expect(queue.more(upTo: 5) == [7])
        #expect(queue.more(upTo: 5) == [])
        #expect(!queue.enqueue(8), "more() left the queue draining: the drainer will take 8")
        #expect(queue.nextGroup() == [8])
        #expect(queue.nextGroup() == [])  // empty: draining ends
        #expect(queue.enqueue(9))
    }
}
