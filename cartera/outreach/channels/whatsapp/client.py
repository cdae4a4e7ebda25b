"""The WhatsApp Business Cloud API calls Cartera makes (Graph API shapes): send a
message, read the template catalogue, fetch a media file."""

from dataclasses import dataclass
from urllib.parse import urlsplit

from ..http import HttpClient

# Error codes (developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes)
REENGAGEMENT_REQUIRED = 131047  # more than 24 hours since the customer last wrote
UNDELIVERABLE = {131026, 131021, 131030, 133010}  # not a WhatsApp user / cannot receive
RATE_LIMITED = {130429, 131056, 131048, 80007, 4, 130472}


@dataclass
class WhatsAppError(Exception):
    status: int
    code: int
    title: str

    def __str__(self):
        return f"WhatsApp {self.status} #{self.code}: {self.title}"


class WhatsAppClient:
    def __init__(self, config, *, timeout: float = 10.0):
        self.config = config
        self.http = HttpClient(config.api_url, timeout=timeout)
        self.version = config.api_version

    @property
    def _auth(self) -> dict:
        return {"Authorization": f"Bearer {self.config.access_token}"}

    def _checked(self, response) -> dict:
        data = response.json()
        if response.status >= 400:
            error = data.get("error") or {}
            raise WhatsAppError(
                response.status,
                int(error.get("code") or 0),
                str(error.get("message") or error.get("error_user_msg") or response.body[:200]),
            )
        return data

    def send(self, payload: dict) -> str:
        """POST /{version}/{phone-number-id}/messages → the message's id (``wamid…``)."""
        response = self.http.request(
            "POST",
            f"/{self.version}/{self.config.phone_number_id}/messages",
            headers=self._auth,
            json_body={"messaging_product": "whatsapp", **payload},
        )
        data = self._checked(response)
        return (data.get("messages") or [{}])[0].get("id", "")

    def templates(self) -> list[dict]:
        """GET /{version}/{waba-id}/message_templates, every page."""
        rows: list[dict] = []
        path = f"/{self.version}/{self.config.business_account_id}/message_templates?limit=100"
        for _page in range(50):
            data = self._checked(self.http.request("GET", path, headers=self._auth))
            rows.extend(data.get("data") or [])
            after = ((data.get("paging") or {}).get("cursors") or {}).get("after")
            if not after or not (data.get("paging") or {}).get("next"):
                break
            path = (
                f"/{self.version}/{self.config.business_account_id}/message_templates"
                f"?limit=100&after={after}"
            )
        return rows

    def media(self, media_id: str, *, max_bytes: int) -> tuple[bytes, str]:
        """GET /{version}/{media-id} for the file's URL, then the file itself (with the
        same token). Files larger than ``max_bytes`` are refused before downloading."""
        info = self._checked(
            self.http.request("GET", f"/{self.version}/{media_id}", headers=self._auth)
        )
        if int(info.get("file_size") or 0) > max_bytes:
            raise WhatsAppError(413, 0, "media too large")
        url = urlsplit(info.get("url", ""))
        downloader = HttpClient(f"{url.scheme}://{url.netloc}")
        try:
            target = url.path + (f"?{url.query}" if url.query else "")
            response = downloader.request("GET", target, headers=self._auth, absolute=True)
        finally:
            downloader.close()
        if response.status >= 400:
            raise WhatsAppError(response.status, 0, "media download failed")
        if len(response.body) > max_bytes:
            raise WhatsAppError(413, 0, "media too large")
        return response.body, info.get("mime_type", "")

    def close(self) -> None:
        self.http.close()
