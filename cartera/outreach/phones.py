"""Phone numbers as providers see them: E.164 digits without the "+".

WhatsApp reports Mexican mobiles as ``521`` + ten digits (the old mobile prefix) while
they are dialled as ``52`` + ten digits; both are the same contact, so the key of a
Mexican number always drops that ``1``.
"""

import phonenumbers
from django.db.models import Q

from cartera.customers.models import Contact


def phone_key(raw: str, *, region: str = "MX") -> str:
    """The comparable form of ``raw`` (digits, country code first), or "" when it is not
    a phone number."""
    raw = (raw or "").strip()
    if not raw:
        return ""
    if raw[0] != "+" and raw.isdigit() and len(raw) > 10:
        raw = "+" + raw  # providers send international numbers without the "+"
    try:
        number = phonenumbers.parse(raw, region or "MX")
    except phonenumbers.NumberParseException:
        return ""
    national = str(number.national_number)
    if number.country_code == 52 and len(national) == 11 and national.startswith("1"):
        national = national[1:]
    return f"{number.country_code}{national}"


def dial_form(raw: str, *, region: str = "MX") -> str:
    """The number to send to (the same digits as the key: ``52`` + ten for Mexico)."""
    return phone_key(raw, region=region)


def contact_for_phone(*, organization, raw: str) -> Contact | None:
    """The organisation's contact whose WhatsApp or mobile number is ``raw``, primary
    contacts first."""
    found = contacts_for_phone(organization=organization, raw=raw)
    return found[0] if found else None


def contacts_for_phone(*, organization, raw: str) -> list[Contact]:
    """Every contact of the organisation with ``raw`` as WhatsApp or mobile number."""
    key = phone_key(raw, region=organization.country)
    return contacts_by_phone(organization=organization, raws=[raw]).get(key, []) if key else []


def contacts_by_phone(*, organization, raws) -> dict[str, list[Contact]]:
    """For each number of ``raws`` (by its key), every contact of the organisation with it
    as WhatsApp or mobile number, primary contacts first: one query for all of them (the
    senders of one webhook call). Candidates are narrowed by the last four digits (stored
    numbers keep whatever spacing they were typed with), then compared by key."""
    region = organization.country
    keys = {key for key in (phone_key(raw, region=region) for raw in raws) if key}
    if not keys:
        return {}
    tails = Q()
    for tail in {key[-4:] for key in keys}:
        tails |= Q(whatsapp__endswith=tail) | Q(mobile_phone__endswith=tail)
    candidates = (
        Contact.objects.filter(customer__organization=organization)
        .filter(tails)
        .select_related("customer__organization")
        .order_by("-is_primary", "id")
    )
    found: dict[str, list[Contact]] = {key: [] for key in keys}
    for contact in candidates:
        numbers = (contact.whatsapp, contact.mobile_phone)
        for key in {phone_key(number, region=region) for number in numbers if number} & keys:
            found[key].append(contact)
    return found
