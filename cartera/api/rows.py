"""Objects → the API's shapes, for the resources and the webhook payloads alike (one
shape per noun, whichever way it leaves Cartera)."""

from .schemas import MessageOut, PaymentRequestOut, PromiseOut


def promise_row(promise) -> dict:
    row = {
        name: getattr(promise, name) for name in PromiseOut.model_fields if name != "invoice_ids"
    }
    return row | {"invoice_ids": [invoice.pk for invoice in promise.invoices.all()]}


def message_row(message) -> dict:
    row = {
        name: getattr(message, name) for name in MessageOut.model_fields if name != "invoice_ids"
    }
    return row | {"invoice_ids": [invoice.pk for invoice in message.invoices.all()]}


def payment_request_row(payment_request) -> dict:
    row = {
        name: getattr(payment_request, name)
        for name in PaymentRequestOut.model_fields
        if name != "invoice_ids"
    }
    return row | {"invoice_ids": [invoice.pk for invoice in payment_request.invoices.all()]}
