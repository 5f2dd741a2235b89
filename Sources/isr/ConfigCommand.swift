import ArgumentParser
import Foundation
import ISRClient

/// `isr config`: settings of this ISR home that are not identity.
struct ConfigCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "config", abstract: "Show or change this home's settings.",
                                                    subcommands: [Relays.self])

    /// `isr config relays [URL,URL…]`: the deployment's relay instances, tried in order when one cannot be reached.
    struct Relays: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show or set the relay URLs of your deployment, tried in order when one cannot be reached.",
            discussion: "ISR_RELAY_URL (one URL or a comma-separated list) overrides them for one command.")
        @OptionGroup var global: GlobalOptions

        @Argument(help: "Comma-separated https:// URLs of the same deployment's relay instances (or its load balancer); the first is tried first.")
        var urls: String?

        struct Result: Encodable {
            let relays: [String]
            let overridden: Bool
        }

        func run() async throws {
            let home = global.isrHome
            var config = try home.config()
            if let urls {
                let list = HomeConfig.split(urls)
                guard !list.isEmpty, list.count <= 16 else { throw ClientError(.usage, "give between 1 and 16 relay URLs, separated by commas") }
                for url in list {
                    guard let parsed = URLComponents(string: url), parsed.scheme == "https", let host = parsed.host, !host.isEmpty,
                          parsed.path.isEmpty || parsed.path == "/", parsed.query == nil else {
                        throw ClientError(.usage, "`\(url)` is not a relay URL; write it as https://HOST[:PORT]")
                    }
                }
                config.relayUrl = list[0]
                config.otherRelayUrls = list.count > 1 ? Array(list.dropFirst()) : nil
                try home.save(config)
            }
            let environment = ProcessInfo.processInfo.environment
            let relays = config.relays(environment: environment)
            let overridden = environment["ISR_RELAY_URL"].map(HomeConfig.split).map { !$0.isEmpty } ?? false
            Terminal.emit(Result(relays: relays, overridden: overridden), json: global.json, human: relays.enumerated().map { "\($0.offset + 1). \($0.element)" }
                .joined(separator: "\n") + (overridden ? "\n(from ISR_RELAY_URL for this command; the home keeps its own list)" : ""))
        }
    }
}
