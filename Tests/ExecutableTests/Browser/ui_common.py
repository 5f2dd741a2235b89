"""What the browser journeys share: a headless Debian Chromium driven by selenium, screenshots and bounded waits."""
import os

from selenium import webdriver
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.support.ui import WebDriverWait


def browser():
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1280,1000", "--disable-dev-shm-usage"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    driver.set_page_load_timeout(30)
    return driver


def save_shot(driver, directory, name):
    driver.save_screenshot(os.path.join(directory, name + ".png"))


def wait(driver, condition, seconds=15):
    return WebDriverWait(driver, seconds, poll_frequency=0.1).until(condition)


def replaced(page):
    """A wait condition: the element `page` (a page's <html>) is no longer in the document, i.e. the next page loaded.
    Chromedriver reports a detached node either as stale or as not belonging to the document; both mean replaced."""
    def check(driver):
        try:
            page.is_enabled()
            return False
        except WebDriverException:
            return True
    return check
