#!/usr/bin/env python3
"""From an invitation to an inbox, entirely in real headless Chromium: the admin invites Erin on the admin page (the
one-time code is shown once); Erin's `isr ui`, on a machine with no identity yet, takes the code, the relay, the CA and
a passphrase, makes her keys and shows her fingerprint; the admin's page shows the fingerprint it computed from the
submitted keys, the same one, and the admin approves; Erin's waiting page turns into her inbox by itself. Then the
admin adds her to a role address and registers an agency, and a refusal is a page saying why.
Usage: admin_journey.py ADMIN_URL ERIN_URL RELAY_URL CA_PATH PASSPHRASE SCREENSHOT_DIR"""
import json
import os
import re
import sys

from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.select import Select

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ui_common import browser, replaced, save_shot, wait  # noqa: E402

admin_url, erin_url, relay_url, ca_path, passphrase, shots = sys.argv[1:7]
os.makedirs(shots, exist_ok=True)


def base(url):
    return url.split("/?")[0]


def submit(driver, selector):
    """Clicks the form's button and waits for the next page to replace this one."""
    page = driver.find_element(By.TAG_NAME, "html")
    driver.find_element(By.CSS_SELECTOR, selector).click()
    wait(driver, replaced(page))
    return wait(driver, lambda d: d.find_element(By.TAG_NAME, "main"))


def note(driver):
    return driver.find_element(By.CSS_SELECTOR, "p.note").text


admin, erin = browser(), browser()
try:
    admin.get(admin_url)
    admin.get(base(admin_url) + "/admin")
    wait(admin, lambda d: d.find_element(By.TAG_NAME, "h1").text == "Administration")
    admin.find_element(By.ID, "invite-id").send_keys("erin@devon-csc")
    admin.find_element(By.ID, "invite-name").send_keys("Erin Cole")
    Select(admin.find_element(By.ID, "invite-role")).select_by_value("practitioner")
    submit(admin, "form[action='/admin/invite'] button")
    code = admin.find_element(By.CSS_SELECTOR, "section.code code").text
    assert re.fullmatch(r"[A-Za-z0-9-]{10,}", code), code
    save_shot(admin, shots, "admin-invited")

    # Erin, on her own machine: no identity yet, so the app is the setup page.
    erin.get(erin_url)
    wait(erin, lambda d: d.find_element(By.TAG_NAME, "h1").text == "Set up ISR on this machine")
    erin.find_element(By.ID, "code").send_keys(code)
    erin.find_element(By.ID, "relay").send_keys(relay_url)
    erin.find_element(By.ID, "ca").send_keys(ca_path)
    erin.find_element(By.ID, "passphrase").send_keys(passphrase)
    erin.find_element(By.ID, "passphrase2").send_keys(passphrase)
    save_shot(erin, shots, "setup")
    submit(erin, "#enrol")
    fingerprint = wait(erin, lambda d: d.find_element(By.CSS_SELECTOR, "#fingerprint code")).text
    assert re.fullmatch(r"[0-9 ]{20,}", fingerprint), fingerprint
    save_shot(erin, shots, "setup-waiting")

    # The admin compares the fingerprint Erin reads out with the one the page computed, and approves.
    admin.get(base(admin_url) + "/admin")
    rows = [r for r in admin.find_elements(By.CSS_SELECTOR, "#pending-title ~ table tbody tr") if "erin@devon-csc" in r.text]
    assert len(rows) == 1, [r.text for r in rows]
    shown = rows[0].find_element(By.CSS_SELECTOR, "code.fingerprint").text
    assert shown == fingerprint, (shown, fingerprint)
    save_shot(admin, shots, "admin-pending")
    page = admin.find_element(By.TAG_NAME, "html")
    rows[0].find_element(By.CSS_SELECTOR, "form[action='/admin/approve'] button").click()
    wait(admin, replaced(page))
    assert note(admin).startswith("Approved erin@devon-csc: enrolment (fingerprint " + fingerprint), note(admin)
    assert "No enrolment, device or new keys are waiting." in admin.page_source

    # Erin's waiting page notices by itself, installs her certificate and opens her inbox.
    wait(erin, EC.presence_of_element_located((By.ID, "inbox-list")), seconds=30)
    assert "erin@devon-csc" in erin.find_element(By.TAG_NAME, "header").text

    admin.find_element(By.ID, "role-address").send_keys("duty@devon-csc")
    admin.find_element(By.ID, "role-members").send_keys("bob@devon-csc, erin@devon-csc")
    submit(admin, "form[action='/admin/roles'] button")
    assert note(admin) == "duty@devon-csc now reaches bob@devon-csc, erin@devon-csc.", note(admin)
    admin.find_element(By.ID, "agency-id").send_keys("devon-police")
    admin.find_element(By.ID, "agency-name").send_keys("Devon and Cornwall Police")
    Select(admin.find_element(By.ID, "agency-kind")).select_by_value("police")
    submit(admin, "form[action='/admin/agencies'] button")
    assert note(admin).startswith("Registered agency devon-police"), note(admin)
    # A refusal is a page saying why: the same agency again.
    admin.find_element(By.ID, "agency-id").send_keys("devon-police")
    admin.find_element(By.ID, "agency-name").send_keys("Again")
    submit(admin, "form[action='/admin/agencies'] button")
    assert admin.find_element(By.TAG_NAME, "h1").text == "Not done", admin.page_source[:500]
    admin.get(base(admin_url) + "/admin")
    save_shot(admin, shots, "admin")
    print(json.dumps({"ok": True, "fingerprint": fingerprint}))
except Exception:
    for driver, name in ((admin, "failure-admin"), (erin, "failure-erin")):
        save_shot(driver, shots, name)
        print("%s at %s:\n%s" % (name, driver.current_url, driver.find_element(By.TAG_NAME, "body").text[:2000]))
    raise
finally:
    admin.quit()
    erin.quit()
