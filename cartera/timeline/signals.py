"""Told to the apps above when entries are written in bulk.

``record_activity`` saves one entry (Django's ``post_save`` says so); ``record_activities``
inserts many at once, which sends no ``post_save``, so it sends ``activities_recorded``
(``activities``: the saved entries, with their ids), in the writing transaction, once per
call. The API's outgoing webhooks hear both (``cartera/api/webhooks.py``).
"""

from django.dispatch import Signal

activities_recorded = Signal()
