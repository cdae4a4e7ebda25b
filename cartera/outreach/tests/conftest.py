import asyncio
import socket

import pytest
from aiosmtpd.controller import Controller


class _Sink:
    """Collects envelopes; recipients listed in ``refuse`` get that SMTP reply.
    ``after_accept``: "drop" takes the message and closes the connection before answering
    DATA; "stall" takes it and answers only after ``stall_seconds`` (past the client's
    timeout) — the message is delivered either way, the client never hears so."""

    def __init__(self):
        self.envelopes = []
        self.refuse: dict[str, str] = {}
        self.after_accept = ""
        self.stall_seconds = 3.0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append(envelope)
        if self.after_accept == "drop":
            server.transport.abort()
        elif self.after_accept == "stall":
            await asyncio.sleep(self.stall_seconds)
        return "250 Message accepted"


@pytest.fixture
def smtp_sink(settings):
    """A real SMTP server (aiosmtpd) on 127.0.0.1 with Django pointed at it."""

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    sink = _Sink()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.BASE_URL = "https://cobranza.example.mx"
    yield sink
    controller.stop()
