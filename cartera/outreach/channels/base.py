"""The one channel interface. Email today; SMS, WhatsApp, voice and letters plug in the same way.

A transport sends one ``Message`` row that the worker has already claimed and returns a
``SendResult``; it raises ``TransientSendError`` (retry later, with backoff) or
``PermanentSendError`` (never retry; the listed addresses are unusable) or
``UnknownOutcomeError`` (the provider may have it: never retried automatically).
"""

from abc import ABC, abstractmethod
from dataclasses import dataclass, field


@dataclass
class SendResult:
    provider_id: str
    transport: str
    stored_only: bool = False  # True when no real server was configured (outbox viewer)
    awaiting_post: bool = False  # a letter: printed in the day's batch, sent once posted


class TransientSendError(Exception):
    """Try again later: timeouts, 4xx SMTP replies, provider throttling."""


class UnknownOutcomeError(Exception):
    """The provider may have the message and did not say so (a timeout or a dropped
    connection after the SMTP DATA or the HTTP request body went out). Never retried by
    itself: retrying is what sends a reminder twice."""


@dataclass
class PermanentSendError(Exception):
    """Never retry: bad address, hard bounce, rejected content."""

    detail: str
    bad_addresses: list[str] = field(default_factory=list)
    keep_addresses: bool = False  # the message is at fault (no template…), not the address

    def __str__(self):
        return self.detail


class Transport(ABC):
    """What every channel implements (email, whatsapp, sms, voice, letter).
    The table of transports per channel is ``channels/table.py``."""

    channel: str = ""

    @abstractmethod
    def send(
        self,
        message,
        *,
        attachments: list[tuple[str, bytes, str]],
        headers: dict | None = None,
        now=None,
    ) -> SendResult:
        """Hand one claimed message to the provider; raise ``TransientSendError`` (retried
        later) or ``PermanentSendError`` (the address is blocked). ``now`` is the worker's
        clock (chat channels judge the 24-hour window with it)."""

    def prepare(self, messages, *, now=None) -> None:  # noqa: B027 — optional, like close
        """Read once, before a batch is sent, what each send of it would read on its own
        (``messages``: the batch's candidates, of every channel). Nothing that the rules
        re-check at every attempt may be decided here for good."""

    def close(self) -> None:  # noqa: B027 — an optional hook: most transports keep nothing open
        """Release connections kept open across a batch."""
