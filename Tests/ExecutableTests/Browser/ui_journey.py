#!/usr/bin/env python3
"""The web app in real headless Chromium: a school DSL sends a share through the guided form, the social worker's inbox
shows it without reloading, they read it (facts and opinions labelled) and read back, the DSL confirms, both timelines
show every step; a held share is released from the DSL view; an anonymous consultation is refused while it holds an NHS
number; a request from social care is answered with a share; the case record shows the chronology and downloads its
evidence bundle. Saves a screenshot of each page.
Usage: ui_journey.py DSL_URL WORKER_URL HELD_PACKET_ID REQUEST_ID SCREENSHOT_DIR"""
import json
import os
import sys
import time

from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.select import Select

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ui_common import browser, replaced, save_shot, wait  # noqa: E402

dsl_url, worker_url, held_id, request_id, shots = sys.argv[1:6]
os.makedirs(shots, exist_ok=True)
timings = {}


def shot(driver, name):
    save_shot(driver, shots, name)


def check(condition, message):
    if not condition:
        raise AssertionError(message)


def base(url):
    return url.split("/?")[0]


dsl, worker = browser(), browser()
try:
    # Each opens the URL its `isr ui` printed; the token becomes a cookie and leaves the address bar.
    for driver, url in ((dsl, dsl_url), (worker, worker_url)):
        driver.get(url)
        wait(driver, EC.presence_of_element_located((By.ID, "inbox-list")))
        check("token=" not in driver.current_url, "the token stays out of the address bar")
    shot(worker, "inbox-empty")

    # The DSL sends a child-in-need share through the guided form, in the guidance's order.
    dsl.get(base(dsl_url) + "/send")
    dsl.find_element(By.CSS_SELECTOR, "input[name=purpose][value=child-in-need]").click()
    dsl.find_element(By.ID, "choose-purpose").click()
    wait(dsl, EC.presence_of_element_located((By.ID, "send-form")))
    check("Guidance:" in dsl.page_source, "the purpose's guidance is shown")
    Select(dsl.find_element(By.ID, "basis")).select_by_value("public-task")
    Select(dsl.find_element(By.ID, "condition")).select_by_value("safeguarding")
    dsl.find_element(By.CSS_SELECTOR, "input[name=consent][value=given]").click()
    dsl.find_element(By.ID, "consent_reason").send_keys("Mother agreed on 20 Nov")
    dsl.find_element(By.CSS_SELECTOR, "input[name=informed][value=yes]").click()
    dsl.find_element(By.CSS_SELECTOR, "input[name=to][value='bob@devon-csc']").click()
    dsl.find_element(By.ID, "field_name").send_keys("Sam Example")
    dsl.find_element(By.ID, "field_date_of_birth").send_keys("2015-03-12")
    dsl.find_element(By.ID, "subject_ref").send_keys("CASE-9")
    dsl.find_element(By.ID, "statement").send_keys("Child-in-need assessment: attendance and presentation")
    dsl.find_element(By.ID, "item_text_0").send_keys("Attendance 62% this term")
    Select(dsl.find_element(By.ID, "item_tag_1")).select_by_value("opinion")
    dsl.find_element(By.ID, "item_text_1").send_keys("Increasingly withdrawn in class")
    dsl.find_element(By.ID, "source").send_keys("class teacher")
    shot(dsl, "send-form")
    dsl.find_element(By.ID, "review").click()
    wait(dsl, EC.presence_of_element_located((By.ID, "send")))
    check("bob@devon-csc" in dsl.page_source and "FACT" in dsl.page_source and "OPINION" in dsl.page_source, "the summary shows recipients and tagged items")
    shot(dsl, "send-summary")
    dsl.find_element(By.ID, "send").click()
    wait(dsl, EC.url_contains("/packets/"))
    packet = dsl.current_url.split("/packets/")[1].split("?")[0]
    sent_at = time.time()
    check("Sent." in dsl.page_source, "the sender is told it was sent")

    # The worker's inbox shows it without a reload (the live event refreshes the list).
    worker.get(base(worker_url) + "/inbox") if "/inbox" not in worker.current_url else None
    wait(worker, EC.presence_of_element_located((By.CSS_SELECTOR, "a[href='/packets/%s']" % packet)), 10)
    timings["inbox_updated_after_s"] = round(time.time() - sent_at, 2)
    shot(worker, "inbox")
    worker.find_element(By.CSS_SELECTOR, "a[href='/packets/%s']" % packet).click()
    wait(worker, EC.presence_of_element_located((By.ID, "understood")))
    page = worker.page_source
    check("Verified against your pinned admin key" in page, "the sender is verified")
    check("FACT" in page and "OPINION" in page and "Attendance 62% this term" in page, "facts and opinions are labelled")
    shot(worker, "packet")
    worker.find_element(By.ID, "understood").send_keys("Attendance 62% is a fact; withdrawn is the teacher's opinion")
    worker.find_element(By.CSS_SELECTOR, "input[name=concern][value=medium]").click()
    worker.find_element(By.ID, "send-readback").click()
    wait(worker, EC.text_to_be_present_in_element((By.CSS_SELECTOR, ".note"), "read-back was sent"))

    # The DSL sees the read-back beside what was sent, and confirms.
    dsl.get(base(dsl_url) + "/packets/" + packet)
    wait(dsl, EC.presence_of_element_located((By.CSS_SELECTOR, "button.confirm")))
    check("withdrawn is the teacher's opinion" in dsl.page_source, "the read-back is shown")
    shot(dsl, "readback")
    dsl.find_element(By.CSS_SELECTOR, "button.confirm").click()
    wait(dsl, EC.text_to_be_present_in_element((By.CSS_SELECTOR, ".note"), "Read-back confirmed"))
    for driver, name in ((dsl, "timeline-sender"), (worker, "timeline-recipient")):
        driver.get(driver.current_url.split("?")[0].rsplit("/packets/", 1)[0] + "/packets/" + packet)
        history = driver.find_element(By.CSS_SELECTOR, "ol.history").text
        for step in ("accepted", "delivered", "read", "acknowledged", "confirmed"):
            check(step in history, "%s: the timeline shows %s: %s" % (name, step, history))
        shot(driver, name)

    # A held share from a colleague is read and released from the DSL view.
    dsl.get(base(dsl_url) + "/countersign")
    wait(dsl, EC.presence_of_element_located((By.CSS_SELECTOR, "a[href='/packets/%s']" % held_id)))
    shot(dsl, "dsl-view")
    dsl.find_element(By.CSS_SELECTOR, "a[href='/packets/%s']" % held_id).click()
    wait(dsl, EC.presence_of_element_located((By.ID, "release"))).click()
    wait(dsl, EC.text_to_be_present_in_element((By.CSS_SELECTOR, ".note"), "Countersigned and released"))

    # A request from social care, answered with a guided share addressed back to the requester.
    dsl.get(base(dsl_url) + "/packets/" + request_id)
    wait(dsl, EC.presence_of_element_located((By.ID, "answer-with-share"))).click()
    wait(dsl, EC.presence_of_element_located((By.ID, "send-form")))
    check(dsl.find_element(By.CSS_SELECTOR, "input[name=to][value='bob@devon-csc']").is_selected(), "the requester is the recipient")
    Select(dsl.find_element(By.ID, "basis")).select_by_value("public-task")
    Select(dsl.find_element(By.ID, "condition")).select_by_value("safeguarding")
    dsl.find_element(By.CSS_SELECTOR, "input[name=consent][value=given]").click()
    dsl.find_element(By.CSS_SELECTOR, "input[name=informed][value=yes]").click()
    dsl.find_element(By.ID, "field_name").send_keys("Sam Example")
    dsl.find_element(By.ID, "field_date_of_birth").send_keys("2015-03-12")
    dsl.find_element(By.ID, "statement").send_keys("Attendance as asked")
    dsl.find_element(By.ID, "item_text_0").send_keys("Attendance 62% this term")
    dsl.find_element(By.ID, "source").send_keys("register")
    dsl.find_element(By.ID, "review").click()
    wait(dsl, EC.presence_of_element_located((By.ID, "send"))).click()
    wait(dsl, EC.text_to_be_present_in_element((By.CSS_SELECTOR, ".note"), "Sent."))

    # An anonymous consultation: the NHS number is flagged as it is typed, and the server refuses it too.
    dsl.get(base(dsl_url) + "/send?purpose=anonymous-consultation")
    wait(dsl, EC.presence_of_element_located((By.ID, "anonymous-hint")))
    dsl.find_element(By.CSS_SELECTOR, "input[name=to][value='bob@devon-csc']").click()
    dsl.find_element(By.ID, "field_concern_category").send_keys("physical")
    dsl.find_element(By.ID, "statement").send_keys("Advice wanted about a pupil, NHS number 943 476 5919")
    dsl.find_element(By.ID, "item_text_0").send_keys("Bruising seen twice this month")
    dsl.find_element(By.ID, "source").send_keys("class teacher")
    wait(dsl, EC.visibility_of_element_located((By.ID, "identifiers")))
    check(not dsl.find_element(By.ID, "review").is_enabled(), "sending is refused while an identifier remains")
    check("NHS number" in dsl.find_element(By.ID, "identifiers").text, "the identifier is named")
    shot(dsl, "anonymous-refused")
    dsl.execute_script("document.getElementById('review').disabled = false; document.getElementById('send-form').submit();")
    wait(dsl, EC.presence_of_element_located((By.ID, "problems")))
    check("NHS number" in dsl.find_element(By.ID, "problems").text, "the server refuses it too")

    # Requests and decisions: the answered request is listed; the DSL records a decision not to share with her reasons.
    dsl.get(base(dsl_url) + "/decisions")
    wait(dsl, EC.presence_of_element_located((By.ID, "decide-title")))
    asked = dsl.find_element(By.CSS_SELECTOR, "#asked-title ~ table").text
    check(request_id[:8] in asked and "bob@devon-csc" in asked, "the request to her is listed: " + asked)
    Select(dsl.find_element(By.ID, "decision-purpose")).select_by_value("early-help")
    Select(dsl.find_element(By.ID, "decision-request")).select_by_value(request_id)
    dsl.find_element(By.ID, "decision-reason").send_keys("Family engaging with early help; no further sharing is proportionate")
    page = dsl.find_element(By.TAG_NAME, "html")
    dsl.find_element(By.CSS_SELECTOR, "form[action='/decisions'] button").click()
    wait(dsl, replaced(page))
    wait(dsl, EC.text_to_be_present_in_element((By.CSS_SELECTOR, ".note"), "Decision recorded"))
    decided = dsl.find_element(By.CSS_SELECTOR, "#decided-title ~ ul").text
    check("Not to share" in decided and "no further sharing is proportionate" in decided and request_id[:8] in decided, decided)
    shot(dsl, "decisions")

    # The case record: the chronology of CASE-9, and its evidence bundle downloaded through the page's form.
    dsl.get(base(dsl_url) + "/record")
    dsl.find_element(By.ID, "subject_ref").send_keys("CASE-9")
    page = dsl.find_element(By.TAG_NAME, "html")
    dsl.find_element(By.CSS_SELECTOR, "form[action='/record'] button").click()
    wait(dsl, replaced(page))
    wait(dsl, EC.presence_of_element_located((By.ID, "chronology-title")))
    chronology = dsl.find_element(By.CSS_SELECTOR, "table.chronology").text
    for step in ("shared", "read back what they understood", "confirmed the read-back", "Attendance 62% this term"):
        check(step in chronology, "the chronology shows %r: %s" % (step, chronology[:1500]))
    shot(dsl, "record")
    head = dsl.execute_async_script("""
        const done = arguments[arguments.length - 1];
        const form = document.querySelector("form[action='/record/export']");
        fetch(form.action, {method: 'POST', body: new URLSearchParams(new FormData(form)), credentials: 'same-origin'})
          .then(r => r.arrayBuffer().then(b => done([r.status, r.headers.get('content-disposition') || '', b.byteLength,
                                                     String.fromCharCode(...new Uint8Array(b.slice(0, 13)))])))
          .catch(e => done([0, String(e), 0, '']));""")
    check(head[0] == 200 and "isr-record-CASE-9.tar" in head[1] and head[2] > 10000 and head[3] == "manifest.json", "the bundle downloads: %r" % (head,))
    print(json.dumps({"ok": True, "packet": packet, **timings}))
except Exception:
    for driver, name in ((dsl, "failure-dsl"), (worker, "failure-worker")):
        shot(driver, name)
        print("%s at %s:\n%s" % (name, driver.current_url, driver.find_element(By.TAG_NAME, "main").text[:2000]))
    raise
finally:
    dsl.quit()
    worker.quit()
