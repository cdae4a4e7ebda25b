"""The API's routers under ``/v1/``."""

from . import v1_customers, v1_followup, v1_invoices, v1_payments, v1_reports
from .core import api

for module in (v1_customers, v1_invoices, v1_payments, v1_followup, v1_reports):
    api.add_router("/v1/", module.router)
