"""Printed letters. "Sending" a letter puts it in the organisation's print batch of the day
(``outreach/letters.py``); it becomes ``sent`` when the batch is marked posted. A customer
without a postal address (nor its contact) cannot get one: the message fails for good and
falls back to the step's next channel."""

from cartera.lib.dates import local_today
from cartera.outreach.choices import MessageChannel
from cartera.outreach.eligibility import CONTACT_ORDER, letter_address_of
from cartera.outreach.letters import add_letter

from ..base import PermanentSendError, SendResult, Transport

TRANSPORT_NAME = "letter-print"


class LetterTransport(Transport):
    channel = MessageChannel.LETTER

    def send(self, message, *, attachments, headers=None, now=None) -> SendResult:
        contact = message.contacts.order_by(*CONTACT_ORDER).first()
        place = letter_address_of(contact, message.customer)
        if place is None:
            raise PermanentSendError("no postal address", keep_addresses=True)
        day = local_today(message.organization.timezone, now=now)
        letter = add_letter(message=message, contact=contact, place=place, day=day)
        return SendResult(
            provider_id=letter.reference, transport=TRANSPORT_NAME, awaiting_post=True
        )
