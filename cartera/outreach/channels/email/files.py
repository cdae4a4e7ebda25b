"""The local outbox when no mail server is configured: one ``.eml`` file per message under
``EMAIL_FILE_PATH`` (``$CARTERA_DATA_DIR/mail``), which any mail client opens. Django's
file backend instead appends a whole batch to one ``.log`` file."""

import datetime as dt
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
            self._write(email_message.message().as_bytes(linesep="\r\n"))
        return len(email_messages)

    def _write(self, content: bytes) -> Path:
        """Written under a temporary name and renamed, so a reader never sees half a file."""
        stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%d-%H%M%S")
        path = self.file_path / f"{stamp}-{uuid.uuid4().hex[:12]}.eml"
        partial = path.with_suffix(".part")
        partial.write_bytes(content)
        os.replace(partial, path)
        return path
