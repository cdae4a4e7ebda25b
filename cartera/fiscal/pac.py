"""Stamping REPs through the organisation's PAC with satcfdi's clients (Finkok, SW Sapien).

The PAC checks the seal and the schema and adds the SAT's TimbreFiscalDigital. Its
answers become plain outcomes: stamped (the XML is kept on the payment's complement),
already stamped (Finkok hands back the earlier stamp through its ``stamped`` operation;
SW Sapien only says so), refused (the PAC's own message), or the PAC cannot be reached
(nothing changes; try again)."""

import datetime as dt

import requests
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _
from satcfdi.cfdi import CFDI
from satcfdi.exceptions import DocumentNotFoundError, ResponseError
from satcfdi.pacs import CancelReason, Environment
from satcfdi.pacs.finkok import Finkok
from satcfdi.pacs.swsapien import SWSapien

from cartera.payments.choices import ComplementStatus
from cartera.payments.complements import (
    FISCAL_UUID,
    record_cancellation,
    record_stamp,
    require_complement_manager,
)
from cartera.payments.models import PaymentComplement

from .complements import rep_for
from .csd import signer_for
from .models import FiscalProfile, PacProvider
from .selectors import fiscal_profile

ALREADY_STAMPED = "307"
# The outbox sits above this app: the debtor's e-mail with the stamped XML and its PDF is
# queued by a task enqueued by name once the stamp is committed (ADR 0005).
STAMPED_NOTICE_TASK = "cartera.outreach.tasks.queue_rep_stamped_notice"


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


class PacUnreachable(ValidationError):
    """No answer from the PAC: it may or may not have stamped what was sent."""


class PacAlreadyStamped(ValidationError):
    """The PAC says the document was stamped before and cannot hand the stamp back."""


def _stamp(client, rep):
    try:
        return client.stamp(rep)
    except (requests.ConnectionError, requests.Timeout):
        raise PacUnreachable(
            _("El PAC no responde; no se timbró nada. Intente de nuevo en unos minutos.")
        ) from None
    except ResponseError as exc:
        message = pac_message(exc)
        if message.startswith(ALREADY_STAMPED):
            if isinstance(client, Finkok):
                return client.stamped(rep)
            raise PacAlreadyStamped(
                _(
                    "El PAC dice que este comprobante ya estaba timbrado (%(m)s); importe el "
                    "XML timbrado para registrarlo."
                )
                % {"m": message}
            ) from None
        raise ValidationError(_("El PAC rechazó el complemento: %(m)s") % {"m": message}) from None


def stamp_rep(
    *, complement: PaymentComplement, actor, now: dt.datetime, exchange_rate=None
) -> PaymentComplement:
    """Build, sign and stamp the REP of an obligation; the stamped XML is kept."""
    require_complement_manager(actor, complement.organization)
    if complement.status == ComplementStatus.STAMPED:
        raise ValidationError(_("El complemento ya está timbrado."))
    profile = fiscal_profile(complement.organization)
    if profile is None or not profile.pac:
        raise ValidationError(_("Elija el PAC de la organización en sus datos fiscales."))
    client = pac_client(profile)
    rep = rep_for(complement, issued_at=now, exchange_rate=exchange_rate)
    document = _stamp(client, rep)
    complement = record_stamp(
        complement=complement,
        fiscal_uuid=document.document_id,
        xml=document.xml,
        actor=actor,
        now=now,
    )
    complement_id = complement.pk
    transaction.on_commit(
        lambda: import_string(STAMPED_NOTICE_TASK).enqueue(complement_id=complement_id)
    )
    return complement


CANCEL_REASONS = {reason.value for reason in CancelReason}  # c_MotivoCancelacion 01–04
ACCEPTED = {"201", "202"}  # the SAT took the request / the CFDI was already cancelled


def _checked_reason(reason: str, substitution_uuid: str) -> str:
    if reason not in CANCEL_REASONS:
        raise ValidationError({"reason": _("Elija un motivo de cancelación del SAT (01 a 04).")})
    if reason == CancelReason.COMPROBANTE_EMITIDO_CON_ERRORES_CON_RELACION.value:
        if not FISCAL_UUID.match((substitution_uuid or "").strip().upper()):
            raise ValidationError(
                {"substitution_uuid": _("El motivo 01 pide el UUID del CFDI que lo sustituye.")}
            )
    return reason


def _cancel(client, stamped: CFDI, reason: str, substitution_uuid: str, signer):
    try:
        acknowledgment = client.cancel(
            stamped,
            CancelReason(reason),
            substitution_id=substitution_uuid or None,
            signer=signer,
        )
    except (requests.ConnectionError, requests.Timeout):
        raise ValidationError(
            _("El PAC no responde; no se canceló nada. Intente de nuevo en unos minutos.")
        ) from None
    except DocumentNotFoundError as exc:
        raise ValidationError(_("El SAT no encuentra el CFDI: %(m)s") % {"m": exc}) from None
    except ResponseError as exc:
        raise ValidationError(
            _("El PAC rechazó la cancelación: %(m)s") % {"m": pac_message(exc)}
        ) from None
    if str(acknowledgment.code) not in ACCEPTED:
        raise ValidationError(
            _("El SAT no aceptó la cancelación (código %(c)s).") % {"c": acknowledgment.code}
        )
    return acknowledgment


def cancel_rep(
    *,
    complement: PaymentComplement,
    reason: str,
    actor,
    now: dt.datetime,
    substitution_uuid: str = "",
) -> PaymentComplement:
    """Cancel a stamped REP through the PAC with a SAT reason (01–04); the payment owes a
    REP again (for 01, the one whose UUID is given)."""
    require_complement_manager(actor, complement.organization)
    if complement.status != ComplementStatus.STAMPED:
        raise ValidationError(_("Solo se cancela un complemento timbrado."))
    reason = _checked_reason(reason, substitution_uuid)
    profile = fiscal_profile(complement.organization)
    if profile is None or not profile.pac:
        raise ValidationError(_("Elija el PAC de la organización en sus datos fiscales."))
    stamped = CFDI.from_string(complement.xml.encode())
    _cancel(pac_client(profile), stamped, reason, substitution_uuid.strip(), signer_for(profile))
    return record_cancellation(complement=complement, reason=reason, actor=actor, now=now)
