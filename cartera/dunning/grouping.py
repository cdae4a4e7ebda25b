"""Grouping one customer's firings (docs/dunning.md, "The planner", step 5): all firings
of a channel on D become ONE message (template of the most advanced stage, then larger
offset), task firings one call task per customer and day, step notes one timeline note."""

from functools import lru_cache

from cartera.followup.choices import TaskKind
from cartera.outreach.eligibility import ADDRESS_FIELD
from cartera.outreach.policy import next_allowed_moment

from .choices import StepChannel
from .decision import MESSAGE_CHANNELS, CustomerDecisions
from .plan import PlannedDecision, PlannedMessage, PlannedTask, message_key


@lru_cache(maxsize=4096)
def _scheduled(policy, earliest):
    return next_allowed_moment(policy, earliest)


def call_task_key(customer_id: int, as_of) -> str:
    return f"dunning-call:{customer_id}:{as_of.isoformat()}"


def _lead_step(decisions: list[PlannedDecision]):
    return max((d.step for d in decisions), key=lambda step: (step.rank, step.offset))


def _cc(decisions: list[PlannedDecision]) -> list[str]:
    return sorted(
        {address.strip() for d in decisions for address in d.step.cc.split(",") if address.strip()}
    )


def _addresses(recipients: list[dict], channel: str) -> list[str]:
    field = ADDRESS_FIELD.get(channel, "email")
    return [contact.get(field, "") for contact in recipients if contact.get(field)]


def group_customer(decider: CustomerDecisions) -> None:
    """Turn ``decider``'s firings into the chunk plan's messages, tasks and notes."""
    notes: dict[str, list[int]] = {}
    for channel, decisions in decider.firings.items():
        for decision in decisions:
            if decision.step.note:
                notes.setdefault(decision.step.note, []).append(decision.invoice_id)
        if channel in MESSAGE_CHANNELS:
            _plan_message(decider, channel, decisions)
        elif channel == StepChannel.TASK:
            _plan_call_task(decider, decisions)
    customer_id = decider.customer["id"]
    for note, invoice_ids in notes.items():
        decider.plan.notes.append((customer_id, note, invoice_ids))


def _plan_message(decider: CustomerDecisions, channel: str, decisions) -> None:
    planner, customer = decider.planner, decider.customer
    key = message_key(as_of=planner.as_of, channel=channel, customer_id=customer["id"])
    existing = decider.facts.today.get((customer["id"], channel))
    recipients = decider.recipients[channel]
    policy = decider.policy
    decider.plan.messages.append(
        PlannedMessage(
            key=key,
            customer_id=customer["id"],
            customer=customer["external_id"],
            channel=channel,
            step=_lead_step(decisions),
            strategy=decider.strategy,
            invoice_ids=[d.invoice_id for d in decisions],
            invoices=[d.invoice for d in decisions],
            scheduled_for=_scheduled(policy, planner.earliest(policy)),
            policy=policy,
            contact_ids=[c["id"] for c in recipients if c["id"]],
            to=_addresses(recipients, channel),
            cc=_cc(decisions),
            existing_id=existing[0] if existing else None,
            fallbacks=_later_channels(_lead_step(decisions), channel),
        )
    )
    for decision in decisions:
        decision.message = key


def _later_channels(step, channel: str) -> list[str]:
    """The step's channels after ``channel``: where a permanent failure falls back to."""
    channels = [step.channel, *step.fallbacks]
    return channels[channels.index(channel) + 1 :] if channel in channels else []


def _plan_call_task(decider: CustomerDecisions, decisions) -> None:
    customer = decider.customer
    key = call_task_key(customer["id"], decider.planner.as_of)
    decider.plan.tasks.append(
        PlannedTask(
            key=key,
            customer_id=customer["id"],
            kind=TaskKind.CALL,
            step=_lead_step(decisions),
            invoice_ids=[d.invoice_id for d in decisions],
            assignee_id=customer["assigned_agent_id"],
        )
    )
    for decision in decisions:
        decision.task = key
