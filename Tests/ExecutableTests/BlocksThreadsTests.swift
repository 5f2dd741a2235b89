import Foundation
import ISRTestSupport
import Synchronization
import Testing

/// The executor blocking tests run on: more blocked threads than cores leave async work free to run.
@Suite struct BlocksThreadsTests {
    /// Tasks on `DispatchTaskExecutor` block until an ordinary async task (on the cooperative pool) releases them, which
    /// it can do only if they left it a thread. On the cooperative pool itself they would hold every thread, and each
    /// would give up after 60 s.
    @Test func moreBlockedTasksThanCoresLeaveAnAsyncTaskFreeToRun() async throws {
        let blocked = ProcessInfo.processInfo.activeProcessorCount + 2
        let gate = Gate()
        let released = try await withThrowingTaskGroup(of: Bool?.self) { group in
            for _ in 0..<blocked {
                group.addTask { await withTaskExecutorPreference(DispatchTaskExecutor()) { gate.block(seconds: 60) } }
            }
            group.addTask {
                for _ in 0..<1200 where gate.entered < blocked { try await Task.sleep(for: .milliseconds(50)) }
                gate.open(blocked)
                return nil
            }
            return try await group.reduce(into: [Bool]()) { all, value in if let value { all.append(value) } }
        }
        #expect(released.count == blocked && released.allSatisfy { $0 }, "released by the async task: \(released)")
    }

    @Test(.blocksThreads) func aTestWithTheTraitRunsOnItsOwnExecutor() {
        #expect(withUnsafeCurrentTask { $0?.unownedTaskExecutor } != nil)
    }

    @Test func aTestWithoutItRunsOnTheCooperativePool() {
        #expect(withUnsafeCurrentTask { $0?.unownedTaskExecutor } == nil)
    }
}

/// What a test waiting on a process does to its thread: blocks it until opened (true) or `seconds` passed (false).
final class Gate: Sendable {
    private let semaphore = DispatchSemaphore(value: 0)
    private let count = Atomic<Int>(0)

    var entered: Int { count.load(ordering: .relaxed) }

    func block(seconds: Double) -> Bool {
        count.add(1, ordering: .relaxed)
        return semaphore.wait(timeout: .now() + seconds) == .success
    }

    func open(_ waiters: Int) {
        for _ in 0..<waiters { semaphore.signal() }
    }
}
