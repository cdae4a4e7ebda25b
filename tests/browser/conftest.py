"""Real-browser tests: Playwright driving Debian's Chromium (never ``playwright install``).

- No Chromium at /usr/bin/chromium: the tests are skipped with a clear message, except in
  CI (``CI`` set), where they fail: CI must never silently skip them.
- The ``page`` fixture fails the test on any console error, uncaught page error or
  Content-Security-Policy violation.
- Pages are served by pytest-django's ``live_server``; tests need
  ``@pytest.mark.django_db(transaction=True)`` and are marked ``@pytest.mark.browser``.
"""

import os
import shutil
from pathlib import Path

import pytest
from django.conf import settings
from playwright.sync_api import sync_playwright

from cartera.testing.fixtures import PASSWORD

# Playwright's sync API runs an event loop in this thread; Django's ORM calls made from
# the test body (fixtures, assertions) are still synchronous and safe here.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = Path(os.environ.get("CARTERA_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

# Runs in every document before its own scripts (injected through DevTools, so CSP does
# not apply to it) and reports CSP violations, which Chromium also logs as errors.
_CSP_LISTENER = """
document.addEventListener("securitypolicyviolation", function (e) {
  console.error("CSP violation: " + e.violatedDirective + " blocked " + (e.blockedURI || "inline")
    + " at " + e.sourceFile + ":" + e.lineNumber);
});
"""


def _chromium_or_skip() -> str:
    if CHROMIUM.exists() or shutil.which(str(CHROMIUM)):
        return str(CHROMIUM)
    message = f"Chromium not found at {CHROMIUM}: apt-get install chromium"
    if os.environ.get("CI"):
        pytest.fail(f"{message} (CI is set, so browser tests may not be skipped)")
    pytest.skip(message)


@pytest.fixture(scope="session", autouse=True)
def _live_server_media_url(django_test_environment):
    """Settings have MEDIA_URL = None (uploads are only served through access-checked
    views); Django's live-server media handler cannot parse None, so give it a prefix
    that nothing links to."""

    original = settings.MEDIA_URL
    settings.MEDIA_URL = "/__live_server_media__/"
    yield
    settings.MEDIA_URL = original


@pytest.fixture(scope="session")
def browser():
    executable = _chromium_or_skip()

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def browser_errors():
    """Console errors, page errors and CSP violations seen by ``page``."""
    return []


@pytest.fixture
def page(browser, browser_errors, live_server):
    context = browser.new_context(base_url=live_server.url, locale="es-MX")
    context.add_init_script(_CSP_LISTENER)
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.on(
        "console",
        lambda msg: (
            browser_errors.append(f"console: {msg.text} [{msg.location.get('url')}] on {page.url}")
            if msg.type == "error"
            else None
        ),
    )
    page.on("pageerror", lambda exc: browser_errors.append(f"pageerror: {exc} ({page.url})"))
    yield page
    context.close()
    if browser_errors:
        pytest.fail("the browser reported errors:\n" + "\n".join(browser_errors))


@pytest.fixture
def phone(browser, browser_errors, live_server):
    """A phone-sized page for the debtor; errors fail the test like ``page``'s do."""
    context = browser.new_context(
        base_url=live_server.url,
        locale="es-MX",
        is_mobile=True,
        has_touch=True,
        viewport={"width": 390, "height": 844},
    )
    context.add_init_script(_CSP_LISTENER)
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.on(
        "console",
        lambda msg: (
            browser_errors.append(
                f"phone console: {msg.text} [{msg.location.get('url')}] on {page.url}"
            )
            if msg.type == "error"
            else None
        ),
    )
    page.on("pageerror", lambda exc: browser_errors.append(f"phone pageerror: {exc}"))
    yield page
    context.close()


@pytest.fixture
def log_in(page):
    """``log_in(username)`` signs in through the real login page."""

    def _log_in(username: str, password: str = PASSWORD):
        page.goto("/accounts/login/")
        page.fill('input[name="login"]', username)
        page.fill('input[name="password"]', password)
        page.click('form[data-login-form] button[type="submit"]')
        page.wait_for_url("**/")
        return page

    return _log_in
