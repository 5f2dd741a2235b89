import Foundation
import ISRRelayAPI

/// The relay's HTTP API as an OpenAPI 3 document, served at `/v1/openapi.yaml` (the file `openapi.yaml` in this module).
public enum OpenAPIDocument {
    public static let text: String = {
        guard let url = Bundle.module.url(forResource: "openapi", withExtension: "yaml"),
              let data = try? Data(contentsOf: url), let text = String(data: data, encoding: .utf8) else {
            return "openapi: 3.1.0\ninfo: {title: ISR relay, version: unavailable}\npaths: {}\n"
        }
        return text
    }()
}
