"""The local outbox when no mail server is configured: one ``.eml`` file per message under
``EMAIL_FILE_PATH`` (``$CARTERA_DATA_DIR/mail``), which any mail client opens. Django's
file backend instead appends a whole batch to one ``.log`` file.

A file's name ends with a digest of the message's ``Message-ID`` (stored as the row's
``provider_id``), so the in-app mail viewer finds the one file of one message without
reading any other file (``eml_path_for``)."""

import datetime as dt
import hashlib
import os
import uuid
from pathlib import Path

from django.conf import settings
from django.core.mail.backends.base import BaseEmailBackend


class EmlFileBackend(BaseEmailBackend):
    def __init__(self, *args, file_path=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.file_path = Path(file_path or settings.EMAIL_FILE_PATH)
        self.file_path.mkdir(parents=True, exist_ok=True)

    def send_messages(self, email_messages) -> int:
        for email_message in email_messages:
            mime = email_message.message()
            self._write(mime.as_bytes(linesep="\r\n"), message_id=mime.get("Message-ID", ""))
        return len(email_messages)

    def _write(self, content: bytes, *, message_id: str = "") -> Path:
        """Written under a temporary name and renamed, so a reader never sees half a file."""
        stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%d-%H%M%S")
        tail = message_digest(message_id) if message_id.strip() else uuid.uuid4().hex[:12]
        path = self.file_path / f"{stamp}-{tail}.eml"
        partial = path.with_suffix(".part")
        partial.write_bytes(content)
        os.replace(partial, path)
        return path


def message_digest(message_id: str) -> str:
    """The file-name tail of the message whose header ``Message-ID`` is ``message_id``."""
    return "m" + hashlib.sha256(message_id.strip().encode()).hexdigest()[:24]


def eml_path_for(message_id: str, *, file_path=None) -> Path | None:
    """The ``.eml`` file written for ``message_id``, or None (sent elsewhere, or removed)."""
    if not message_id.strip():
        return None
    folder = Path(file_path or settings.EMAIL_FILE_PATH)
    if not folder.is_dir():
        return None
    matches = sorted(folder.glob(f"*-{message_digest(message_id)}.eml"))
    return matches[-1] if matches else None
