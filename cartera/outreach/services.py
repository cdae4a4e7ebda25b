"""The outbox's write services, for the apps above outreach. Each lives in the module of
its concern; this module only names them in one place:

- ``rendering``: ``MessageRenderer``, ``rerender_message``;
- ``message_templates``: ``save_template``, ``install_default_templates``;
- ``outbox``: ``queue_messages`` (bulk creation for the planner);
- ``revalidation``: ``revalidate_message`` (send time);
- ``sending``: ``claim``, ``send_message``, ``send_due_messages``, ``sweep_stale_sending``;
- ``tracking``: signed open/click/unsubscribe/portal links and what they record;
- ``events``: ``record_event``, ``record_provider_event`` (webhooks).
"""

from .events import add_event, record_event, record_provider_event
from .message_templates import install_default_templates, save_template
from .outbox import OutboxItem, queue_messages
from .rendering import MessageRenderer, agent_context, organization_context, rerender_message
from .revalidation import revalidate_message
from .sending import claim, send_due_messages, send_message, sweep_stale_sending
from .tracking import (
    CLICK_SALT,
    OPEN_SALT,
    PORTAL_SALT,
    UNSUB_SALT,
    portal_message_link,
    record_click,
    record_open,
    tracking_urls,
    unsubscribe,
    with_tracking,
)

__all__ = [
    "CLICK_SALT",
    "OPEN_SALT",
    "PORTAL_SALT",
    "UNSUB_SALT",
    "MessageRenderer",
    "OutboxItem",
    "add_event",
    "agent_context",
    "claim",
    "install_default_templates",
    "organization_context",
    "portal_message_link",
    "queue_messages",
    "record_click",
    "record_event",
    "record_open",
    "record_provider_event",
    "rerender_message",
    "revalidate_message",
    "save_template",
    "send_due_messages",
    "send_message",
    "sweep_stale_sending",
    "tracking_urls",
    "unsubscribe",
    "with_tracking",
]
