"""Writing the organisation's fiscal data (one transaction, one timeline entry)."""

import base64
import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cartera.lib.identifiers import IdentifierError, normalize_tax_id
from cartera.timeline import events
from cartera.timeline.sentences import sentence

from .catalogs import is_postal_code, is_tax_regime
from .csd import certificate_of, read_csd, read_fiel
from .models import FiscalProfile, PacProvider


def _checked_identity(rfc: str, legal_name: str, tax_regime: str, postal_code: str) -> dict:
    errors = {}
    try:
        rfc = normalize_tax_id(rfc, "MX")
    except IdentifierError as exc:
        errors["rfc"] = str(exc)
    if rfc in ("XAXX010101000", "XEXX010101000"):
        errors["rfc"] = _("El RFC genérico no puede emitir comprobantes.")
    if not rfc and "rfc" not in errors:
        errors["rfc"] = _("Escriba el RFC de la organización.")
    if not (legal_name or "").strip():
        errors["legal_name"] = _("Escriba la razón social tal como aparece en la constancia.")
    if not is_tax_regime(tax_regime):
        errors["tax_regime"] = _("Elija un régimen del catálogo del SAT.")
    if not is_postal_code((postal_code or "").strip()):
        errors["postal_code"] = _("El código postal son 5 dígitos del catálogo del SAT.")
    if errors:
        raise ValidationError(errors)
    return {
        "rfc": rfc,
        "legal_name": legal_name.strip().upper(),
        "tax_regime": tax_regime,
        "postal_code": postal_code.strip(),
    }


def _csd_fields(cer, key, password, *, rfc: str, today: dt.date) -> dict:
    if not (cer or key):
        return {}
    if not (cer and key):
        field = "csd_key" if cer else "csd_certificate"
        raise ValidationError({field: _("Cargue el .cer y el .key juntos.")})
    info = read_csd(cer=cer, key=key, password=password or "", rfc=rfc, today=today)
    return {
        "csd_certificate": base64.b64encode(info.certificate).decode(),
        "csd_key": base64.b64encode(info.key).decode(),
        "csd_password": info.password,
        "csd_number": info.number,
        "csd_valid_from": info.valid_from,
        "csd_valid_until": info.valid_until,
    }


SECRET_FIELDS = ("csd_key", "csd_password", "pac_secret", "fiel_key", "fiel_password")


def _pac_fields(pac: str, username: str, secret: str, test: bool) -> dict:
    """The PAC choice; a blank secret keeps the stored one (the page never shows it)."""
    if pac and pac not in PacProvider.values:
        raise ValidationError({"pac": _("Elija un PAC de la lista.")})
    if pac == PacProvider.FINKOK and not (username or "").strip():
        raise ValidationError({"pac_username": _("Finkok pide el usuario de su cuenta.")})
    values = {"pac": pac, "pac_username": (username or "").strip(), "pac_test": bool(test)}
    if (secret or "").strip():
        values["pac_secret"] = secret.strip()
    return values


def _check_kept_csd(profile: FiscalProfile, rfc: str) -> None:
    owner = str(certificate_of(profile).rfc or "")
    if owner.upper() != rfc.upper():
        raise ValidationError(
            {
                "rfc": _("El CSD guardado es del RFC %(cert)s; cargue el CSD del RFC %(rfc)s.")
                % {"cert": owner, "rfc": rfc}
            }
        )


@transaction.atomic
def save_fiscal_profile(
    *,
    organization,
    actor,
    today: dt.date,
    rfc: str,
    legal_name: str,
    tax_regime: str,
    postal_code: str,
    csd_certificate: bytes | None = None,
    csd_key: bytes | None = None,
    csd_password: str = "",
    pac: str = "",
    pac_username: str = "",
    pac_secret: str = "",
    pac_test: bool = False,
) -> FiscalProfile:
    """Save the issuer data; a new CSD (.cer + .key + password) replaces the stored one
    only when it checks out. A kept CSD must still belong to the (possibly new) RFC."""
    values = _checked_identity(rfc, legal_name, tax_regime, postal_code)
    values.update(
        _csd_fields(csd_certificate, csd_key, csd_password, rfc=values["rfc"], today=today)
    )
    values.update(_pac_fields(pac, pac_username, pac_secret, pac_test))
    profile = FiscalProfile.objects.select_for_update().filter(organization=organization).first()
    if profile and "csd_number" not in values and profile.has_csd:
        _check_kept_csd(profile, values["rfc"])
    profile = profile or FiscalProfile(organization=organization)
    changed = sorted(k for k, v in values.items() if getattr(profile, k) != v)
    for name, value in values.items():
        setattr(profile, name, value)
    profile.save()
    shown = [name for name in changed if name not in SECRET_FIELDS]
    events.config_changed(
        organization,
        actor=actor,
        summary=sentence(gettext_lazy("Datos fiscales guardados (RFC %(rfc)s)"), rfc=profile.rfc),
        changed=shown,
    )
    return profile


def _fiel_fields(cer, key, password, *, rfc: str, today: dt.date) -> dict:
    if not (cer or key):
        return {}
    if not (cer and key):
        field = "fiel_key" if cer else "fiel_certificate"
        raise ValidationError({field: _("Cargue el .cer y el .key juntos.")})
    info = read_fiel(cer=cer, key=key, password=password or "", rfc=rfc, today=today)
    return {
        "fiel_certificate": base64.b64encode(info.certificate).decode(),
        "fiel_key": base64.b64encode(info.key).decode(),
        "fiel_password": info.password,
        "fiel_valid_until": info.valid_until,
    }


@transaction.atomic
def save_sat_download_settings(
    *,
    organization,
    actor,
    today: dt.date,
    sat_download_from: dt.date | None,
    fiel_certificate: bytes | None = None,
    fiel_key: bytes | None = None,
    fiel_password: str = "",
) -> FiscalProfile:
    """The e.firma the SAT's download service authenticates with (replaced only when the
    new one checks out) and the first day to download from (None: downloads stop)."""
    profile = FiscalProfile.objects.select_for_update().filter(organization=organization).first()
    if profile is None:
        raise ValidationError(_("Primero guarde los datos fiscales de la organización (RFC)."))
    values = _fiel_fields(fiel_certificate, fiel_key, fiel_password, rfc=profile.rfc, today=today)
    if sat_download_from is not None:
        if sat_download_from >= today:
            raise ValidationError({"sat_download_from": _("Elija un día anterior a hoy.")})
        if not (values or profile.has_fiel):
            raise ValidationError(
                {"fiel_certificate": _("Cargue la e.firma para descargar del SAT.")}
            )
    values["sat_download_from"] = sat_download_from
    changed = sorted(k for k, v in values.items() if getattr(profile, k) != v)
    for name, value in values.items():
        setattr(profile, name, value)
    profile.save()
    events.config_changed(
        organization,
        actor=actor,
        summary=sentence(
            gettext_lazy("Descarga del SAT configurada (RFC %(rfc)s)"), rfc=profile.rfc
        ),
        changed=[name for name in changed if name not in SECRET_FIELDS],
    )
    return profile
