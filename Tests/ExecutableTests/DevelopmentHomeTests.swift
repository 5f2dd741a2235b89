import Foundation
import Testing

/// The quick start's development deployment comes with its admin's ready ISR home, so `isr ui` and every `isr admin`
/// command work at once against `swift run isr-relay`.
extension CLIJourneyTests {
    @Test func theDevelopmentDeploymentGivesItsAdminAReadyHome() throws {
        try FileManager.default.createDirectory(atPath: root + "/dev", withIntermediateDirectories: true)
        try String(contentsOf: ExecutableTests.root.appendingPathComponent("config/policy.toml"), encoding: .utf8)
            .write(toFile: root + "/dev/policy.toml", atomically: true, encoding: .utf8)
        let port = Self.freePort()
        let config = try String(contentsOf: ExecutableTests.root.appendingPathComponent("config/relay.toml"), encoding: .utf8)
            .replacingOccurrences(of: "port = 8443", with: "port = \(port)")
            .replacingOccurrences(of: "../certs", with: "certs").replacingOccurrences(of: "../.relay/", with: "data/")
        try config.write(toFile: root + "/dev/relay.toml", atomically: true, encoding: .utf8)
        let relay = try startRelay(root + "/dev/relay.toml")
        defer { relay.terminate(); relay.waitUntilExit() }
        let admin = ["--home", root + "/dev/certs/admin-home", "--passphrase-file", root + "/dev/certs/admin-passphrase.txt"]
        let homeConfig = try String(contentsOfFile: root + "/dev/certs/admin-home/config.json", encoding: .utf8)
        #expect(homeConfig.contains("\"relay_url\" : \"https://localhost:\(port)\""), "\(homeConfig)")
        expect(try isr(["whoami"] + admin, environment: [:]), exit: 0, "admin@isr-dev")
        expect(try isr(["admin", "agency", "add", "school-a", "--name", "School A", "--kind", "school"] + admin, environment: [:]), exit: 0, "Registered agency school-a")
        expect(try isr(["directory"] + admin, environment: [:]), exit: 0, "admin@isr-dev")
    }
}
