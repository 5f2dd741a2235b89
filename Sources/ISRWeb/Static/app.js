// ISR web app: live updates from the app's own event stream, optional desktop notifications, and the identifier
// check of an anonymous consultation (the server's scanner, asked as you type). No third-party code.
(function () {
  "use strict";
  var messages = {
    "new-packet": "New packet", "held-for-countersignature": "A packet is held for your countersignature",
    "read-back-received": "A read-back arrived", "confirmed": "Your read-back was confirmed",
    "clarification-requested": "Clarification was asked for", "returned": "A packet was returned to you",
    "escalation": "OVERDUE: an escalation notice for you", "resync": "Some events were missed: reload"
  };
  var live = document.getElementById("live");
  var list = document.getElementById("inbox-list");

  function refreshInbox() {
    if (!list) { return; }
    fetch("/inbox/list", { credentials: "same-origin" }).then(function (r) { return r.ok ? r.text() : null; })
      .then(function (html) { if (html !== null) { list.innerHTML = html; } });
  }

  // The setup page, waiting for the admin's approval: ask every two seconds, through the moment `isr ui` swaps the
  // setup page for the app on the same port, and open the inbox only once the app itself answers ("ready").
  var waiting = document.getElementById("setup-waiting");
  if (waiting) {
    var poll = function () {
      fetch("/setup/status", { credentials: "same-origin", cache: "no-store" }).then(function (r) { return r.ok ? r.json() : {}; })
        .then(function (s) { if (s.state === "ready") { window.location.href = "/inbox"; } else { window.setTimeout(poll, 2000); } },
              function () { window.setTimeout(poll, 2000); });
    };
    window.setTimeout(poll, 2000);
  }

  if (window.EventSource && !document.getElementById("setup")) {
    var source = new EventSource("/events");
    Object.keys(messages).forEach(function (kind) {
      source.addEventListener(kind, function (event) {
        var data = {};
        try { data = JSON.parse(event.data); } catch (e) { data = {}; }
        var text = messages[kind] + (data.purpose ? " (" + data.purpose + ")" : "") + (data.packet ? " — " + data.packet.slice(0, 8) : "");
        if (live) { live.textContent = text; }
        refreshInbox();
        if (window.Notification && Notification.permission === "granted") { new Notification("ISR", { body: text }); }
      });
    });
  }

  var enable = document.getElementById("enable-notifications");
  if (enable && window.Notification && Notification.permission === "default") {
    enable.hidden = false;
    enable.addEventListener("click", function () { Notification.requestPermission().then(function () { enable.hidden = true; }); });
  }

  // Anonymous consultation: ask the server which typed text looks like an identifier; refuse to submit while any do.
  var hint = document.getElementById("anonymous-hint");
  var form = document.getElementById("send-form");
  if (hint && form) {
    var fields = Array.prototype.slice.call(form.querySelectorAll("[data-scan]"));
    var report = document.getElementById("identifiers");
    var submit = document.getElementById("review");
    var csrf = form.querySelector("input[name=csrf]").value;
    var timer = null;
    function check() {
      var body = new URLSearchParams();
      body.append("csrf", csrf);
      fields.forEach(function (f) { body.append("text", f.value); });
      fetch("/scan", { method: "POST", credentials: "same-origin", body: body }).then(function (r) { return r.json(); }).then(function (found) {
        fields.forEach(function (f) {
          var hit = found.some(function (x) { return f.value.indexOf(x.text) >= 0; });
          f.classList.toggle("identifier", hit);
          f.setAttribute("aria-invalid", hit ? "true" : "false");
        });
        report.hidden = found.length === 0;
        report.textContent = found.length === 0 ? "" : "Remove these identifiers before sending: " +
          found.map(function (x) { return x.kind + " \u201c" + x.text + "\u201d"; }).join("; ");
        submit.disabled = found.length > 0;
      });
    }
    fields.forEach(function (f) { f.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(check, 250); }); });
    form.addEventListener("submit", function (event) { if (submit.disabled) { event.preventDefault(); } });
  }
}());
