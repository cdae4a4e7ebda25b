"""The demo's settings: Cartera's own, plus the address of the local fake Stripe that
``cartera demo`` starts (``cartera/testing/fake_stripe.py``). Only ``cartera demo`` points
``DJANGO_SETTINGS_MODULE`` here; production never reads this module."""

import os

from cartera.settings import *  # noqa: F403

STRIPE_API_BASE = os.environ.get("CARTERA_DEMO_STRIPE_API_BASE", "")
