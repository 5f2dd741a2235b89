import Foundation
import ISRTestSupport
import Testing

/// The executor blocking tests run on: more blocked threads than cores leave async work free to run.
@Suite struct BlocksThreadsTests {
    @Test func moreBlockedTasksThanCoresDoNotStarveAnAsyncTask() async throws {
        let blocked = ProcessInfo.processInfo.activeProcessorCount + 2
        let start = ContinuousClock.now
        let sleeperDone = try await withThrowingTaskGroup(of: Duration?.self) { group in
            for _ in 0..<blocked {
                group.addTask { await withTaskExecutorPreference(DispatchTaskExecutor()) { Self.block(seconds: 5) }; return nil }
            }
            group.addTask {
                try await Task.sleep(for: .milliseconds(200))
                return ContinuousClock.now - start
            }
            return try await group.reduce(into: Duration?.none) { result, value in result = result ?? value }
        }
        let elapsed = try #require(sleeperDone)
        #expect(elapsed < .milliseconds(2500), "the async task waited \(elapsed) behind \(blocked) blocked tasks")
    }

    /// What a test waiting on a process does to its thread.
    static func block(seconds: Double) { Thread.sleep(forTimeInterval: seconds) }

    @Test(.blocksThreads) func aTestWithTheTraitRunsOnItsOwnExecutor() {
        #expect(withUnsafeCurrentTask { $0?.unownedTaskExecutor } != nil)
    }

    @Test func aTestWithoutItRunsOnTheCooperativePool() {
        #expect(withUnsafeCurrentTask { $0?.unownedTaskExecutor } == nil)
    }
}
