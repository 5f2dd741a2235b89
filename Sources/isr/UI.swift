import ArgumentParser
import Foundation
import ISRClient
import ISRWeb
import Logging

/// `isr ui`: the web app for this home, on 127.0.0.1 only. The first line on stdout is the URL to open (it carries this
/// run's key); Ctrl-C stops it.
struct UI: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "ui", abstract: "Open ISR in your browser (served from this machine only; Ctrl-C stops it).")
    @Option(help: "The local port (default: a free one).") var port = 0
    @Flag(help: "Do not start a browser; just print the URL.") var noOpen = false
    @OptionGroup var global: GlobalOptions

    func validate() throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port is 1–65535 (or 0 for a free one)") }
    }

    func run() async throws {
        let home = global.isrHome
        var logger = Logger(label: "isr-ui")
        logger.logLevel = .warning
        let session: Session
        var carried: WebSecrets?
        var chosenPort = port
        if FileManager.default.fileExists(atPath: home.certificatePath) {
            Terminal.warnIfCertificateExpiring(home)
            session = try Session(home: home, passphrase: global.passphrase)
        } else {
            // Not enrolled yet: the browser takes the invitation code and makes the keys here, then the app opens.
            let setup = try await WebSetup.make(home: home, port: port)
            let url = setup.url
            guard let keys = try await setup.run(logger: logger, onListening: {
                print(url)
                fflush(nil)
                Terminal.note("\(home.path) is not enrolled: set it up in the browser (127.0.0.1:\(setup.port)); press Ctrl-C to stop")
                if !noOpen { UI.openBrowser(url) }
            }) else { return }
            session = try Session(home: home, keys: keys)
            (carried, chosenPort) = (setup.secrets, setup.port)
        }
        do {
            let app = try await WebApp.make(session: session, port: chosenPort, secrets: carried)
            let url = app.url
            let announce = carried == nil
            try await app.run(logger: logger) {
                if announce {
                    print(url)
                    fflush(nil)
                    if !noOpen { UI.openBrowser(url) }
                }
                Terminal.note("serving \(session.me)'s ISR on 127.0.0.1:\(app.port); press Ctrl-C to stop")
            }
            await session.close()
        } catch {
            await session.close()
            throw error
        }
    }

    /// Starts the desktop's browser on `url` (xdg-open), if there is one; the URL is printed either way.
    static func openBrowser(_ url: String) {
        let opener = Process()
        opener.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        opener.arguments = ["xdg-open", url]
        opener.standardOutput = FileHandle.nullDevice
        opener.standardError = FileHandle.nullDevice
        try? opener.run()
    }
}
