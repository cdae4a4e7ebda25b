"""What the bulk path tells the apps above it, which this app cannot import.

``invoices_created`` is sent by ``bulk.insert_invoices`` and ``bulk.create_invoices``, in the
writing transaction, once per call: ``organization`` and ``keys`` (the new invoices'
external ids, unique in the organisation). The bulk paths summarise their invoices on the
timeline instead of one entry each, so this is how the API's webhooks hear of each new one
(``cartera/api/webhooks.py``); one invoice at a time, ``services.create_invoice``'s
timeline entry is.
"""

from django.dispatch import Signal

invoices_created = Signal()
