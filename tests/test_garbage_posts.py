"""Malformed input never yields a server error: every page that takes a POST (the
tenancy table lists them all) is posted garbage in each of its own form fields, as the owner,
and must answer with a form error, a redirect or a refusal — never a 500.

The fields come from the page's own forms (GET first), so a new field is swept too.
"""

import re

from tests.test_tenancy import URLS, _urls, world  # noqa: F401 - world is a fixture

GARBAGE = [
    "\u202e\ufffd🙃'\"<script>x</script>../../etc/passwd",
    "-1e999",
    "9" * 40,
    "NaN",
    "2026-02-31",
    "a" * 5000,
    "\r\nBcc: x@example.com",
]

FIELD = re.compile(r'<(?:input|select|textarea)[^>]*\bname="([^"]+)"[^>]*>', re.I)
SKIP_FIELDS = {"csrfmiddlewaretoken"}


def form_fields(html: str) -> list[str]:
    return sorted({name for name in FIELD.findall(html) if name not in SKIP_FIELDS})


def test_garbage_in_every_field_never_gives_a_server_error(world, login):  # noqa: F811
    client = login(world.owner)
    client.raise_request_exception = False
    errors = []
    for name, row, url in _urls(world):
        if not row.writes or row.public:
            continue
        page = client.get(url)
        fields = form_fields(page.content.decode()) if page.status_code == 200 else []
        for number, garbage in enumerate(GARBAGE):
            payload = {field: garbage for field in fields} or {"x": garbage}
            response = client.post(url, payload)
            if response.status_code >= 500:
                errors.append(f"POST {name} {url} garbage #{number} -> {response.status_code}")
    assert errors == []
