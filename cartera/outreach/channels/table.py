"""The transports, one per channel: a plain table. A channel without one keeps its messages
queued."""

from .base import Transport
from .email.transport import EmailTransport
from .letter.transport import LetterTransport
from .sms.transport import SmsTransport
from .voice.transport import VoiceTransport
from .whatsapp.transport import WhatsAppTransport

TRANSPORTS: dict[str, type[Transport]] = {
    EmailTransport.channel: EmailTransport,
    WhatsAppTransport.channel: WhatsAppTransport,
    SmsTransport.channel: SmsTransport,
    VoiceTransport.channel: VoiceTransport,
    LetterTransport.channel: LetterTransport,
}


def transport_for(channel: str) -> Transport | None:
    """A fresh transport for ``channel`` (one per batch: it may keep a connection open)."""
    transport_class = TRANSPORTS.get(channel)
    return transport_class() if transport_class else None
