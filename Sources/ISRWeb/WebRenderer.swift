import Foundation
import Hummingbird
import Mustache

/// Renders pages: each page's Mustache template (values HTML-escaped unless a template asks otherwise), inside the
/// shared layout with the navigation, the page title and the session's CSRF token for every form.
struct WebRenderer: Sendable {
    let library: MustacheLibrary
    let csrf: String
    let member: String
    /// The member's role in the verified directory: DSLs and managers see what is held for them, admins the admin pages.
    let role: String
    var senior: Bool { ["dsl", "manager"].contains(role) }
    var admin: Bool { ["admin", "agency-admin"].contains(role) }

    static func load(csrf: String, member: String, role: String) async throws -> WebRenderer {
        guard let directory = Bundle.module.resourcePath.map({ $0 + "/Templates" }) else { throw WebError("the web app's templates are missing from this build") }
        return WebRenderer(library: try await MustacheLibrary(directory: directory), csrf: csrf, member: member, role: role)
    }

    /// The page `template` with `values`, in the layout.
    func page(_ template: String, title: String, _ values: [String: Any] = [:], status: HTTPResponse.Status = .ok, note: String? = nil) -> Response {
        var values = values
        values["csrf"] = csrf
        let content = library.render(Self.present(values) ?? [:], withTemplate: template) ?? ""
        var layout: [String: Any] = ["title": title, "content": content, "member": member, "senior": senior, "admin": admin,
                                     "nav": [["href": "/inbox", "label": "Inbox"], ["href": "/send", "label": "Send"], ["href": "/sent", "label": "Sent"],
                                             ["href": "/decisions", "label": "Requests & decisions"], ["href": "/record", "label": "Case record"],
                                             ["href": "/notices", "label": "Notices"]]
                                         + (senior ? [["href": "/countersign", "label": "To countersign"]] : [])
                                         + (admin ? [["href": "/admin", "label": "Admin"]] : [])]
        if let note { layout["note"] = note }
        // Before enrolment there is no one signed in and nothing to navigate to.
        if member.isEmpty { (layout["nav"], layout["member"]) = ([[String: String]](), nil) }
        let html = library.render(layout, withTemplate: "layout") ?? ""
        return Response(status: status, headers: [.contentType: "text/html; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: html)))
    }

    /// `value` without absent optionals (at any depth), so a template's `{{#name}}` section is skipped for them instead of
    /// printing "nil".
    static func present(_ value: Any) -> Any? {
        let mirror = Mirror(reflecting: value)
        if mirror.displayStyle == .optional {
            guard let wrapped = mirror.children.first?.value else { return nil }
            return present(wrapped)
        }
        if let dictionary = value as? [String: Any] { return dictionary.compactMapValues { present($0) } }
        if let array = value as? [[String: Any]] { return array.map { $0.compactMapValues { present($0) } } }
        return value
    }

    /// A refusal or failure the practitioner can act on, as a page.
    func problem(_ message: String, status: HTTPResponse.Status = .unprocessableContent) -> Response {
        page("problem", title: "Not done", ["message": message], status: status)
    }
}

/// A web app failure that is not the practitioner's to fix.
struct WebError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
