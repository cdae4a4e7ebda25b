"""The portal's own settings (owners): bank accounts shown, the promise limit, the logo,
the online-payment keys. What the debtor does in the portal is done by the services of the
apps that own it (``cartera.payments.reported``, ``cartera.followup.promises``,
``cartera.invoices.disputes``, composed with the agent's task in ``cartera.followup.reviews``).
"""

import hashlib
import ipaddress

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cartera.invoices import factoring
from cartera.lib.colors import normalize_hex
from cartera.lib.uploads import PROOF_EXTENSIONS
from cartera.payments.providers.base import ProviderError
from cartera.payments.providers.conekta import ConektaProvider, load_public_key
from cartera.timeline import events
from cartera.timeline.sentences import sentence

from .models import PortalSettings

OFF = "off"  # the settings form's "do not offer"
RAIL_SECRETS = (
    "mercadopago_access_token",
    "mercadopago_webhook_secret",
    "conekta_private_key",
    "stp_webhook_token",
)

# --- portal settings (owners) ---------------------------------------------------------------
MAX_LOGO_BYTES = 512 * 1024
LOGO_SIGNATURES = {"image/png": b"\x89PNG\r\n\x1a\n", "image/jpeg": b"\xff\xd8\xff"}


def sniff_logo(uploaded) -> str:
    """PNG or JPEG judged by the first bytes (never SVG: it can carry scripts)."""
    if uploaded.size > MAX_LOGO_BYTES:
        raise ValidationError({"logo": _("El logotipo pesa más de 512 KB.")})
    head = uploaded.read(8)
    uploaded.seek(0)
    for content_type, signature in LOGO_SIGNATURES.items():
        if head.startswith(signature):
            return content_type
    raise ValidationError({"logo": _("El logotipo debe ser una imagen PNG o JPG.")})


@transaction.atomic
def update_portal_settings(
    *,
    organization,
    actor,
    require_code: bool,
    max_promise_days: int,
    bank_accounts: str,
    clabe_prefix: str,
    logo=None,
    remove_logo: bool = False,
    brand_color: str | None = None,
    stripe_secret_key: str = "",
    stripe_webhook_secret: str = "",
    factored_invoices: str = "",
    **rails,
) -> PortalSettings:
    """Save the organisation's portal options; the change is on the timeline.

    ``rails`` are the online-payment options (``_update_rails``): which provider serves
    card, cash and SPEI, and the Mercado Pago, Conekta and STP credentials.
    ``brand_color``: ``#RRGGBB``, blank for the standard look, None to keep the current one."""
    brand_color = _clean_brand_color(brand_color)
    clabe_prefix = (clabe_prefix or "").strip()
    if clabe_prefix and (not clabe_prefix.isdigit() or not 6 <= len(clabe_prefix) <= 10):
        raise ValidationError(
            {"clabe_prefix": _("El prefijo son de 6 a 10 dígitos (banco y plaza).")}
        )
    if not 1 <= int(max_promise_days) <= 180:
        raise ValidationError({"max_promise_days": _("Entre 1 y 180 días.")})
    stripe_secret_key, stripe_webhook_secret = (
        stripe_secret_key.strip(),
        stripe_webhook_secret.strip(),
    )
    if stripe_secret_key and not stripe_secret_key.startswith(("sk_", "rk_")):
        raise ValidationError(
            {"stripe_secret_key": _("La clave secreta de Stripe empieza con sk_ o rk_.")}
        )
    if stripe_webhook_secret and not stripe_webhook_secret.startswith("whsec_"):
        raise ValidationError(
            {"stripe_webhook_secret": _("El secreto del webhook empieza con whsec_.")}
        )
    content_type = sniff_logo(logo) if logo is not None else None
    row, _created = PortalSettings.objects.select_for_update().get_or_create(
        organization=organization
    )
    before = {
        "require_code": row.require_code,
        "max_promise_days": row.max_promise_days,
        "bank_accounts": row.bank_accounts,
        "clabe_prefix": row.clabe_prefix,
        "logo": row.logo.name,
        "brand_color": row.brand_color,
        "stripe": (row.stripe_secret_key, row.stripe_webhook_secret),
        **_rails_state(row),
    }
    _update_rails(row, **rails)
    row.stripe_secret_key = stripe_secret_key or row.stripe_secret_key
    row.stripe_webhook_secret = stripe_webhook_secret or row.stripe_webhook_secret
    row.require_code, row.max_promise_days = bool(require_code), int(max_promise_days)
    row.bank_accounts = "\n".join(
        line.strip() for line in bank_accounts.splitlines() if line.strip()
    )
    row.clabe_prefix = clabe_prefix
    if brand_color is not None:
        row.brand_color = brand_color
    if (remove_logo or logo is not None) and row.logo:
        row.logo.delete(save=False)
    if logo is not None:
        digest = hashlib.sha256(logo.read()).hexdigest()
        logo.seek(0)
        extension = PROOF_EXTENSIONS[content_type]
        row.logo.save(f"org-{organization.pk}-{digest[:12]}.{extension}", logo, save=False)
    row.save()
    after = {
        "require_code": row.require_code,
        "max_promise_days": row.max_promise_days,
        "bank_accounts": row.bank_accounts,
        "clabe_prefix": row.clabe_prefix,
        "logo": row.logo.name,
        "brand_color": row.brand_color,
        "stripe": (row.stripe_secret_key, row.stripe_webhook_secret),
        **_rails_state(row),
    }
    changed = sorted(key for key in after if after[key] != before[key])
    if factored_invoices and factoring.set_factored_display(
        organization=organization, display=factored_invoices
    ):
        changed = sorted([*changed, "factored_invoices"])
    if changed:
        events.config_changed(
            organization,
            actor=actor,
            summary=sentence(gettext_lazy("Configuración del portal de clientes actualizada")),
            changed=changed,
        )
    return row


def _clean_brand_color(value: str | None) -> str | None:
    if value is None or not value.strip():
        return value if value is None else ""
    colour = normalize_hex(value)
    if colour is None:
        raise ValidationError(
            {"brand_color": _("Escriba el color como #RRGGBB (por ejemplo, #0B5CAD).")}
        )
    return colour


def _rails_state(row) -> dict:
    return {
        "payment_methods": (row.card_provider, row.cash_provider, row.spei_provider),
        "mercadopago": (row.mercadopago_access_token, row.mercadopago_webhook_secret),
        "conekta": (row.conekta_private_key, row.conekta_webhook_public_key),
        "stp": (row.stp_empresa, row.stp_webhook_token, row.stp_allowed_ips, row.stp_unknown_clabe),
    }


def _clean_networks(text: str) -> str:
    lines = [line.strip() for line in (text or "").replace(",", "\n").splitlines() if line.strip()]
    for line in lines:
        try:
            ipaddress.ip_network(line, strict=False)
        except ValueError:
            raise ValidationError(
                {
                    "stp_allowed_ips": _("«%(value)s» no es una dirección IP ni una red.")
                    % {"value": line}
                }
            ) from None
    return "\n".join(lines)


def _update_rails(row, **values) -> None:
    """Apply the online-payment options; an absent or blank secret keeps the stored one,
    an absent provider choice keeps the current one."""
    unknown = set(values) - {
        "card_provider",
        "cash_provider",
        "spei_provider",
        "conekta_webhook_public_key",
        "stp_empresa",
        "stp_allowed_ips",
        "stp_unknown_clabe",
        *RAIL_SECRETS,
    }
    if unknown:
        raise TypeError(f"unexpected settings: {sorted(unknown)}")
    for name in ("card_provider", "cash_provider", "spei_provider"):
        chosen = values.get(name) or ""
        if chosen:
            setattr(row, name, "" if chosen == OFF else chosen)
    for name in RAIL_SECRETS:
        secret = (values.get(name) or "").strip()
        if secret:
            setattr(row, name, secret)
    if "stp_empresa" in values:
        row.stp_empresa = (values["stp_empresa"] or "").strip()
    if "stp_allowed_ips" in values:
        row.stp_allowed_ips = _clean_networks(values["stp_allowed_ips"])
    if values.get("stp_unknown_clabe"):
        row.stp_unknown_clabe = values["stp_unknown_clabe"]
    _update_conekta_key(row, (values.get("conekta_webhook_public_key") or "").strip())


def _update_conekta_key(row, pem: str) -> None:
    """A pasted key must be an RSA public key; none pasted and none stored: ask Conekta."""
    if pem:
        if load_public_key(pem) is None:
            raise ValidationError(
                {
                    "conekta_webhook_public_key": _(
                        "La llave pública de Conekta debe ser una llave RSA en formato PEM."
                    )
                }
            )
        row.conekta_webhook_public_key = pem
        return
    if row.conekta_private_key and not row.conekta_webhook_public_key:
        provider = ConektaProvider(private_key=row.conekta_private_key, webhook_public_key="")
        try:
            row.conekta_webhook_public_key = provider.webhook_public_key_from_api()
        except ProviderError:
            raise ValidationError(
                {
                    "conekta_webhook_public_key": _(
                        "No se pudo obtener la llave pública de webhooks de Conekta; péguela aquí."
                    )
                }
            ) from None
