import Dispatch
import Testing

/// For tests that wait on processes, files or sockets with blocking calls: they run on threads of their own instead of
/// Swift's cooperative pool, which has one thread per core. Two such tests at once on a two-core machine would otherwise
/// starve every async test for as long as they wait (a relay under test then closes its idle client connections).
/// At most `BlocksThreadsTrait.concurrentTests` of them run at once (the others wait without holding a thread): all
/// twenty such suites at once on two cores slowed a key derivation past its 60 s bound. Two is what the cooperative
/// pool allowed before, when CI passed.
public struct BlocksThreadsTrait: TestTrait, SuiteTrait, TestScoping {
    public static let concurrentTests = 2
    static let slots = TestSlots(concurrentTests)

    public var isRecursive: Bool { true }

    public func provideScope(for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void) async throws {
        guard testCase != nil else { return try await function() }
        await Self.slots.acquire()
        do {
            try await withTaskExecutorPreference(DispatchTaskExecutor()) { try await function() }
        } catch {
            await Self.slots.release()
            throw error
        }
        await Self.slots.release()
    }
}

/// A counting semaphore for tasks, first come first served: waiting suspends the task and holds no thread.
actor TestSlots {
    private var free: Int
    private var waiting: [CheckedContinuation<Void, Never>] = []

    init(_ count: Int) {
        free = count
    }

    func acquire() async {
        guard free == 0 else {
            free -= 1
            return
        }
        await withCheckedContinuation { waiting.append($0) }
    }

    func release() {
        if waiting.isEmpty { free += 1 } else { waiting.removeFirst().resume() }
    }
}

extension Trait where Self == BlocksThreadsTrait {
    /// The test (or every test of the suite) blocks threads; see `BlocksThreadsTrait`.
    public static var blocksThreads: Self { BlocksThreadsTrait() }
}

/// Runs each of a task's jobs on a serial queue of its own. Such queues run on Dispatch's overcommitting threads, which
/// grow when one blocks; a concurrent queue (like Swift's cooperative pool on Linux) has one thread per core.
public final class DispatchTaskExecutor: TaskExecutor {
    public init() {}

    public func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        DispatchQueue(label: "isr.tests.blocking").async { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }
}
