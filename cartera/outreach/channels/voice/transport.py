"""Automated reminder calls through a Twilio-compatible Calls API (``POST /2010-04-01/
Accounts/{sid}/Calls.json`` with inline ``Twiml``), on the organisation's SMS account.
The call says the balance and due date in Spanish (es-MX voice) and offers the keypad:
1 the payment link (by SMS or WhatsApp), 2 a promise to pay in 7 days, 3 an agent. The
answer comes back to ``/webhooks/voice/<org slug>/gather/`` (``outreach/calls.py``)."""

import base64
from xml.sax.saxutils import escape, quoteattr

from babel.numbers import format_currency
from django.conf import settings
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from cartera.lib.dates import long_date
from cartera.outreach.channels.whatsapp.messages import balance_and_due
from cartera.outreach.choices import MessageChannel
from cartera.outreach.models import SmsConfig
from cartera.outreach.phones import phone_key

from ..base import (
    PermanentSendError,
    SendResult,
    TransientSendError,
    Transport,
    UnknownOutcomeError,
)
from ..http import ConnectionFailed, HttpClient, ResponseLost
from ..sms.transport import error_for

TRANSPORT_NAME = "voice-twilio"
VOICE = {"language": "es-MX", "voice": "Polly.Mia"}


def _url(name: str, organization) -> str:
    return settings.BASE_URL + reverse(name, kwargs={"slug": organization.slug})


def _say(text: str) -> str:
    return f"<Say language={quoteattr(VOICE['language'])} voice={quoteattr(VOICE['voice'])}>{escape(text)}</Say>"


def spoken_values(message) -> dict[str, str]:
    """The balance and due date as the Spanish voice should say them: "$11,600.00" (read
    as pesos; the written house style's "MXN" would be spelt out) and "1 de octubre de
    2026". Speech, not text: the one place the amount leaves the house money style."""
    amount, currency, due = balance_and_due(message)
    return {
        "org": message.organization.name,
        "amount": format_currency(amount, currency, locale="es_MX"),
        "due_date": long_date(due, "es") if due else "",
    }


def call_twiml(message) -> str:
    """What the debtor hears, and the keypad choices."""
    values = spoken_values(message)
    with translation.override("es"):
        prompt = (
            _(
                "Hola, le llamamos de %(org)s. Su saldo de %(amount)s venció el %(due_date)s. "
                "Para recibir el enlace de pago, oprima 1. Para prometer su pago en siete días, "
                "oprima 2. Para hablar con un agente, oprima 3."
            )
            % values
        )
        goodbye = _("No recibimos ninguna opción. Gracias, hasta luego.")
    action = quoteattr(_url("webhooks:voice_gather", message.organization))
    return (
        '<?xml version="1.0" encoding="UTF-8"?><Response>'
        f'<Gather numDigits="1" timeout="8" method="POST" action={action}>{_say(prompt)}</Gather>'
        f"{_say(goodbye)}</Response>"
    )


class VoiceTransport(Transport):
    channel = MessageChannel.CALL

    def __init__(self):
        self._clients: dict[int, tuple[SmsConfig, HttpClient] | None] = {}

    def _client(self, organization_id: int):
        if organization_id not in self._clients:
            config = SmsConfig.objects.filter(organization_id=organization_id).first()
            ready = config is not None and config.is_complete
            self._clients[organization_id] = (config, HttpClient(config.api_url)) if ready else None
        entry = self._clients[organization_id]
        if entry is None:
            raise PermanentSendError(
                "calls are not configured for this organisation", keep_addresses=True
            )
        return entry

    def send(self, message, *, attachments, headers=None, now=None) -> SendResult:
        config, client = self._client(message.organization_id)
        if not message.to:
            raise PermanentSendError("no phone number", keep_addresses=True)
        to = message.to[0]
        auth = base64.b64encode(f"{config.account_sid}:{config.auth_token}".encode()).decode()
        try:
            response = client.request(
                "POST",
                f"/2010-04-01/Accounts/{config.account_sid}/Calls.json",
                headers={"Authorization": f"Basic {auth}"},
                form={
                    "To": "+" + phone_key(to, region=message.organization.country),
                    "From": config.from_number,
                    "Twiml": call_twiml(message),
                    "StatusCallback": _url("webhooks:voice_status", message.organization),
                },
            )
        except ResponseLost as exc:
            raise UnknownOutcomeError(str(exc)) from exc
        except ConnectionFailed as exc:
            raise TransientSendError(str(exc)) from exc
        data = response.json()
        if response.status >= 400:
            raise error_for(response.status, data, to=to)
        return SendResult(provider_id=str(data.get("sid", "")), transport=TRANSPORT_NAME)

    def close(self) -> None:
        for entry in self._clients.values():
            if entry is not None:
                entry[1].close()
