"""Stamping REPs through the organisation's PAC with satcfdi's clients (Finkok, SW Sapien).

The PAC checks the seal and the schema and adds the SAT's TimbreFiscalDigital. Its
answers become plain outcomes: stamped (the XML is kept on the payment's complement),
already stamped (Finkok hands back the earlier stamp through its ``stamped`` operation;
SW Sapien only says so), refused (the PAC's own message), or the PAC cannot be reached
(nothing changes; try again)."""

import datetime as dt

import requests
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from satcfdi.exceptions import ResponseError
from satcfdi.pacs import Environment
from satcfdi.pacs.finkok import Finkok
from satcfdi.pacs.swsapien import SWSapien

from cartera.payments.choices import ComplementStatus
from cartera.payments.complements import record_stamp
from cartera.payments.models import PaymentComplement

from .complements import rep_for
from .models import FiscalProfile, PacProvider
from .selectors import fiscal_profile

ALREADY_STAMPED = "307"


class FinkokAt(Finkok):
    """Finkok's SOAP API at a configured address."""

    def __init__(self, *args, base_url: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.base_url = base_url.rstrip("/")

    @property
    def host(self):
        return self.base_url or super().host


class SWSapienAt(SWSapien):
    """SW Sapien's REST API at a configured address."""

    def __init__(self, *args, base_url: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.base_url = base_url.rstrip("/")

    def _host(self, service="services"):
        return self.base_url or super()._host(service)


def pac_client(profile: FiscalProfile):
    environment = Environment.TEST if profile.pac_test else Environment.PRODUCTION
    if profile.pac == PacProvider.FINKOK:
        return FinkokAt(
            profile.pac_username,
            profile.pac_secret,
            environment=environment,
            base_url=profile.pac_url,
        )
    if profile.pac == PacProvider.SW_SAPIEN:
        return SWSapienAt(
            token=profile.pac_secret, environment=environment, base_url=profile.pac_url
        )
    raise ValidationError(_("Elija el PAC de la organización en sus datos fiscales."))


def pac_message(exc: ResponseError) -> str:
    """The PAC's own words: SW answers JSON, Finkok a SOAP incidence ("code - message")."""
    response = exc.response
    if isinstance(response, requests.Response):
        try:
            body = response.json()
        except ValueError:
            return f"HTTP {response.status_code}"
        return str(body.get("message") or body.get("messageDetail") or response.status_code)
    return str(response)


def _stamp(client, rep):
    try:
        return client.stamp(rep)
    except (requests.ConnectionError, requests.Timeout):
        raise ValidationError(
            _("El PAC no responde; no se timbró nada. Intente de nuevo en unos minutos.")
        ) from None
    except ResponseError as exc:
        message = pac_message(exc)
        if message.startswith(ALREADY_STAMPED):
            if isinstance(client, Finkok):
                return client.stamped(rep)
            raise ValidationError(
                _(
                    "El PAC dice que este complemento ya estaba timbrado (%(m)s); importe el "
                    "XML timbrado para registrarlo."
                )
                % {"m": message}
            ) from None
        raise ValidationError(_("El PAC rechazó el complemento: %(m)s") % {"m": message}) from None


def stamp_rep(
    *, complement: PaymentComplement, actor, now: dt.datetime, exchange_rate=None
) -> PaymentComplement:
    """Build, sign and stamp the REP of an obligation; the stamped XML is kept."""
    if complement.status == ComplementStatus.STAMPED:
        raise ValidationError(_("El complemento ya está timbrado."))
    profile = fiscal_profile(complement.organization)
    if profile is None or not profile.pac:
        raise ValidationError(_("Elija el PAC de la organización en sus datos fiscales."))
    client = pac_client(profile)
    rep = rep_for(complement, issued_at=now, exchange_rate=exchange_rate)
    document = _stamp(client, rep)
    return record_stamp(
        complement=complement,
        fiscal_uuid=document.document_id,
        xml=document.xml,
        actor=actor,
        now=now,
    )
