#!/usr/bin/env python3
"""The admin pages in real headless Chromium.
  admin_journey.py invite ADMIN_URL SHOTS   invites erin@devon-csc; prints {"code": …} read from the page
  admin_journey.py approve ADMIN_URL FINGERPRINT SHOTS
      finds erin's pending enrolment, checks the fingerprint computed by the page is the one erin's `isr enrol` showed,
      approves it, adds her to duty@devon-csc and registers an agency; prints {"ok": true}."""
import json
import os
import re
import sys

from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.select import Select

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ui_common import browser, save_shot, wait  # noqa: E402



def submit(driver, selector):
    """Clicks the form's button and waits for the next page to replace this one."""
    page = driver.find_element(By.TAG_NAME, "html")
    driver.find_element(By.CSS_SELECTOR, selector).click()
    wait(driver, EC.staleness_of(page))
    return wait(driver, lambda d: d.find_element(By.TAG_NAME, "main"))


def note(driver):
    return driver.find_element(By.CSS_SELECTOR, "p.note").text


step, url = sys.argv[1], sys.argv[2]
shots = sys.argv[-1]
os.makedirs(shots, exist_ok=True)
driver = browser()
try:
    driver.get(url)
    driver.get(url.split("/?")[0] + "/admin")
    wait(driver, lambda d: d.find_element(By.TAG_NAME, "h1").text == "Administration")
    if step == "invite":
        driver.find_element(By.ID, "invite-id").send_keys("erin@devon-csc")
        driver.find_element(By.ID, "invite-name").send_keys("Erin Cole")
        Select(driver.find_element(By.ID, "invite-role")).select_by_value("practitioner")
        submit(driver, "form[action='/admin/invite'] button")
        code = driver.find_element(By.CSS_SELECTOR, "section.code code").text
        assert re.fullmatch(r"[A-Za-z0-9-]{10,}", code), code
        save_shot(driver, shots, "admin-invited")
        print(json.dumps({"code": code}))
    else:
        fingerprint = sys.argv[3]
        rows = [r for r in driver.find_elements(By.CSS_SELECTOR, "#pending-title ~ table tbody tr") if "erin@devon-csc" in r.text]
        assert len(rows) == 1, [r.text for r in rows]
        shown = rows[0].find_element(By.CSS_SELECTOR, "code.fingerprint").text
        assert shown == fingerprint, (shown, fingerprint)
        save_shot(driver, shots, "admin-pending")
        page = driver.find_element(By.TAG_NAME, "html")
        rows[0].find_element(By.CSS_SELECTOR, "form[action='/admin/approve'] button").click()
        wait(driver, EC.staleness_of(page))
        assert note(driver).startswith("Approved erin@devon-csc: enrolment (fingerprint " + fingerprint), note(driver)
        assert "No enrolment, device or new keys are waiting." in driver.page_source
        driver.find_element(By.ID, "role-address").send_keys("duty@devon-csc")
        driver.find_element(By.ID, "role-members").send_keys("bob@devon-csc, erin@devon-csc")
        submit(driver, "form[action='/admin/roles'] button")
        assert note(driver) == "duty@devon-csc now reaches bob@devon-csc, erin@devon-csc.", note(driver)
        driver.find_element(By.ID, "agency-id").send_keys("devon-police")
        driver.find_element(By.ID, "agency-name").send_keys("Devon and Cornwall Police")
        Select(driver.find_element(By.ID, "agency-kind")).select_by_value("police")
        submit(driver, "form[action='/admin/agencies'] button")
        assert note(driver).startswith("Registered agency devon-police"), note(driver)
        # A refusal is a page saying why: the same agency again.
        driver.find_element(By.ID, "agency-id").send_keys("devon-police")
        driver.find_element(By.ID, "agency-name").send_keys("Again")
        submit(driver, "form[action='/admin/agencies'] button")
        assert driver.find_element(By.TAG_NAME, "h1").text == "Not done", driver.page_source[:500]
        driver.get(url.split("/?")[0] + "/admin")
        save_shot(driver, shots, "admin")
        print(json.dumps({"ok": True}))
finally:
    driver.quit()
