"""SMS through a Twilio-compatible Messages API: ``POST /2010-04-01/Accounts/{sid}/
Messages.json`` with HTTP Basic auth (account SID : auth token), the form fields ``To``,
``From``, ``Body`` and ``StatusCallback``. The text is written for GSM-7 (``gsm.py``) and
its segment count stored on the message.

Errors: 21610 (the number answered STOP) blocks it for SMS; invalid or non-mobile
numbers (21211, 21614, 21612) are permanent and blocked; 429 / 20429 and server errors
are retried later.
"""

import base64

from django.conf import settings
from django.urls import reverse

from cartera.outreach.choices import MessageChannel, MessagePurpose
from cartera.outreach.eligibility import is_usable_contact
from cartera.outreach.models import Message, SmsConfig
from cartera.outreach.phones import phone_key

from ..base import (
    PermanentSendError,
    SendResult,
    TransientSendError,
    Transport,
    UnknownOutcomeError,
)
from ..http import ConnectionFailed, HttpClient, ResponseLost
from .gsm import segments, to_gsm7
from .texts import sms_text

TRANSPORT_NAME = "sms-twilio"
UNSUBSCRIBED = 21610
BAD_NUMBER = {21211, 21614, 21612, 21408}
THROTTLED = {20429, 14107}


def status_callback_url(organization) -> str:
    return settings.BASE_URL + reverse("webhooks:sms_status", kwargs={"slug": organization.slug})


def error_for(status: int, data: dict, *, to: str) -> Exception:
    code = int(data.get("code") or 0)
    detail = f"SMS {status} #{code}: {data.get('message', '')}"
    if code == UNSUBSCRIBED or code in BAD_NUMBER:
        return PermanentSendError(detail, [to])
    if status == 429 or status >= 500 or code in THROTTLED:
        return TransientSendError(detail)
    return PermanentSendError(detail, keep_addresses=True)


def _still_usable(message) -> bool:
    """An opt-out (STOP) since the message was planned stops it at once."""
    contacts = list(message.contacts.all())
    return not contacts or any(is_usable_contact(c, channel=MessageChannel.SMS) for c in contacts)


class SmsTransport(Transport):
    channel = MessageChannel.SMS

    def __init__(self):
        self._clients: dict[int, tuple[SmsConfig, HttpClient] | None] = {}

    def _client(self, organization_id: int) -> tuple[SmsConfig, HttpClient]:
        if organization_id not in self._clients:
            config = SmsConfig.objects.filter(organization_id=organization_id).first()
            ready = config is not None and config.is_complete
            self._clients[organization_id] = (config, HttpClient(config.api_url)) if ready else None
        entry = self._clients[organization_id]
        if entry is None:
            raise PermanentSendError(
                "SMS is not configured for this organisation", keep_addresses=True
            )
        return entry

    def send(self, message, *, attachments, headers=None, now=None) -> SendResult:
        config, client = self._client(message.organization_id)
        if not message.to:
            raise PermanentSendError("no mobile number", keep_addresses=True)
        if message.purpose == MessagePurpose.DUNNING and not _still_usable(message):
            raise PermanentSendError("the number opted out of SMS", keep_addresses=True)
        to = message.to[0]
        text = to_gsm7(sms_text(message))
        Message.objects.filter(pk=message.pk).update(body_text=text, segments=segments(text))
        auth = base64.b64encode(f"{config.account_sid}:{config.auth_token}".encode()).decode()
        try:
            response = client.request(
                "POST",
                f"/2010-04-01/Accounts/{config.account_sid}/Messages.json",
                headers={"Authorization": f"Basic {auth}"},
                form={
                    "To": "+" + phone_key(to, region=message.organization.country),
                    "From": config.from_number,
                    "Body": text,
                    "StatusCallback": status_callback_url(message.organization),
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
