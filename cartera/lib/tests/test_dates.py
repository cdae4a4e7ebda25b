"""Local dates: a scheduler slot is judged on its own local day."""

import datetime as dt

from cartera.lib.dates import slot_date


def test_slot_date_is_the_slots_local_day():
    # 05:30 UTC on 13 October is still the 12th in Monterrey (UTC-6).
    assert slot_date("2026-10-13T05:30:00+00:00", "America/Monterrey") == dt.date(2026, 10, 12)
    assert slot_date("2026-10-13T06:30:00+00:00", "America/Monterrey") == dt.date(2026, 10, 13)
