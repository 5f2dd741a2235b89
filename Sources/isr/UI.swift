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
        Terminal.warnIfCertificateExpiring(global.isrHome)
        let session = try Session(home: global.isrHome, passphrase: global.passphrase)
        do {
            let app = try await WebApp.make(session: session, port: port)
            let url = app.url
            var logger = Logger(label: "isr-ui")
            logger.logLevel = .warning
            try await app.run(logger: logger) {
                print(url)
                fflush(nil)
                Terminal.note("serving \(session.me)'s ISR on 127.0.0.1:\(app.port); press Ctrl-C to stop")
                if !noOpen { UI.openBrowser(url) }
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
