"""Deciding one customer's invoices on the as-of date D: which step fires, which earlier
steps are superseded, and why a firing is skipped (docs/dunning.md, "The planner",
steps 1–4). The invoice-level holds and the usable contact points are the contact
policy's (``cartera.outreach.eligibility``); the cap is ``outreach.policy``'s."""

import datetime as dt
from bisect import bisect_right
from collections import defaultdict
from decimal import Decimal

from cartera.followup.choices import TaskKind
from cartera.outreach.choices import HoldReason, MessageStatus
from cartera.outreach.policy import allowed_recipients, within_cap, within_cross_channel_caps

from .choices import CASE_STAGES, DecisionAction, SkipReason, StepChannel
from .plan import ChunkPlan, PlannedDecision, PlannedTask, StepInfo, StrategyInfo

MESSAGE_CHANNELS = frozenset(
    {
        StepChannel.EMAIL,
        StepChannel.SMS,
        StepChannel.WHATSAPP,
        StepChannel.LETTER,
        StepChannel.CALL,
    }
)
SKIP_FOR_HOLD = {
    hold: SkipReason(hold.value) for hold in HoldReason if hold.value in SkipReason.values
}
_EMPTY: dict = {}


def missing_contact_task_key(customer_id: int, channel: str) -> str:
    return f"missing-contact:{customer_id}:{channel}"


def eligible_steps(steps: list[StepInfo], days: int, balance) -> list[StepInfo]:
    """Step 1: due by D (``days`` after the due date; steps sorted by offset) and at or
    above their minimum balance."""
    amount = Decimal(str(balance))
    return [
        step
        for step in steps
        if step.offset <= days and (step.min_balance is None or amount >= step.min_balance)
    ]


def next_firing(current: StepInfo, entry, as_of: dt.date) -> int | None:
    """Steps 2–3: the first firing (no ``entry``), a repeat that is due on ``as_of``, or
    None. ``entry`` is (sends so far, last sent date); 0 sends = superseded, never sent."""
    if entry is None:
        return 1
    sends, last_sent = entry
    if sends == 0:
        return None  # superseded earlier: never sent
    if (
        current.repeat_every
        and sends < 1 + current.max_repeats
        and as_of >= last_sent + dt.timedelta(days=current.repeat_every)
    ):
        return sends + 1
    return None


def timetable(steps: list[StepInfo], *, balance, due: dt.date) -> list[dict]:
    """What the steps would do, day by day, for one invoice of ``balance`` due on ``due``
    that nobody pays, disputes or promises (no holds, every contact point usable, no cap):
    the same steps 1–3 as the planner (``eligible_steps``, ``too_late_for``,
    ``next_firing``). Rows: date, days after due, step, firing number, action."""
    steps = sorted(steps, key=lambda step: step.offset)
    if not steps:
        return []
    last = max(s.offset + (s.repeat_every or 0) * s.max_repeats for s in steps)
    history: dict[int, tuple[int, dt.date]] = {}
    rows = []
    for days in range(steps[0].offset, last + 1):
        as_of = due + dt.timedelta(days=days)
        eligible = eligible_steps(steps, days, balance)
        if not eligible:
            continue
        current = eligible[-1]
        firing = next_firing(current, history.get(current.id), as_of)
        earlier = eligible if firing == 1 and current.too_late_for(days) else eligible[:-1]
        for step in earlier:
            history.setdefault(step.id, (0, as_of))  # superseded: never sent
        if firing is None or current.id in history and history[current.id][0] == 0:
            continue
        history[current.id] = (firing, as_of)
        action = DecisionAction.OPEN_CASE if current.stage in CASE_STAGES else DecisionAction.SEND
        rows.append(
            {"date": as_of, "days": days, "step": current, "firing": firing, "action": action}
        )
    return rows


class CustomerDecisions:
    """Decides the invoices of one customer; keeps what the grouping step needs: the
    firings per channel, the recipients per channel and the policy."""

    def __init__(self, *, planner, plan: ChunkPlan, customer: dict, strategy: StrategyInfo, facts):
        self.planner = planner
        self.plan = plan
        self.customer = customer
        self.strategy = strategy
        self.facts = facts
        self.steps = strategy.steps
        self.offsets = [step.offset for step in strategy.steps]
        self.firings: dict[str, list[PlannedDecision]] = defaultdict(list)
        self.recipients: dict[str, list[dict]] = {}
        self.cap_reasons: dict[str, SkipReason | None] = {}
        self.policy = None
        self.paused = customer["paused"]

    def decide_all(self, rows) -> None:
        for row in rows:
            self.decide(*row)

    def decide(self, iid: int, ext: str, due_ord: int, balance, factored) -> None:
        days = self.planner.as_of_ordinal - due_ord
        eligible = self.eligible_steps(days, balance)
        if not eligible:
            return  # step 1: nothing is due yet
        current = eligible[-1]
        hist = self.facts.history.get(iid, _EMPTY)
        firing = self.firing_number(current, hist.get(current.id))
        if firing == 1 and current.too_late_for(days):
            self.supersede(eligible, hist, iid, ext)
            return
        self.supersede(eligible[:-1], hist, iid, ext)
        if firing is None:
            return
        reason = self.skip_reason(iid, factored, current.channel)
        channel, why = current.channel, ""
        if reason == SkipReason.NO_CONTACT and current.fallbacks:
            channel, reason, why = self.fallback(iid, factored, current)
        if reason and (iid, current.id, firing) in self.facts.skipped:
            return  # already skipped today, and its missing-contact task already opened
        if current.stage in CASE_STAGES and reason is None:
            self.hand_over(iid, ext, current, firing)
            return
        decision = PlannedDecision(
            iid,
            ext,
            self.customer["id"],
            self.customer["external_id"],
            current,
            self.strategy,
            firing,
            DecisionAction.SKIP if reason else DecisionAction.SEND,
            reason,
            channel=channel,
            why=why,
        )
        self.plan.decisions.append(decision)
        if reason is None:
            self.firings[channel].append(decision)
        elif reason == SkipReason.NO_CONTACT:
            self.ask_for_contact(iid, current.channel)

    def hand_over(self, iid: int, ext: str, step: StepInfo, firing: int) -> None:
        """A judicial or agency step opens a case (cartera/cases, on commit) instead of
        sending a message; the decision says so."""
        why = "etapa %s: se abre un caso con despacho o agencia en lugar de enviar un mensaje"
        self.plan.decisions.append(
            PlannedDecision(
                iid,
                ext,
                self.customer["id"],
                self.customer["external_id"],
                step,
                self.strategy,
                firing,
                DecisionAction.OPEN_CASE,
                None,
                channel=step.channel,
                why=why % step.stage,
            )
        )

    def fallback(self, iid: int, factored, step: StepInfo) -> tuple[str, SkipReason | None, str]:
        """The step's next channels in order: the first with a usable contact point wins
        (a channel whose contact points are capped or already used today is passed too)."""
        passed = [step.channel]
        for channel in step.fallbacks:
            reason = self.skip_reason(iid, factored, channel)
            if reason is None:
                why = f"{' → '.join(passed)} → {channel}: " + "sin contacto utilizable"
                return channel, None, why
            passed.append(channel)
        return step.channel, SkipReason.NO_CONTACT, ""

    def eligible_steps(self, days: int, balance) -> list[StepInfo]:
        if not self.planner.any_min_balance:
            return self.steps[: bisect_right(self.offsets, days)]
        return eligible_steps(self.steps, days, balance)

    def supersede(self, earlier: list[StepInfo], hist: dict, iid: int, ext: str) -> None:
        """Step 2: earlier eligible steps that never fired are superseded (never sent)."""
        plan = self.plan
        for step in earlier:
            if step.id in hist:
                continue
            if not self.planner.record_superseded:
                plan.superseded_uncollected += 1
                continue
            plan.decisions.append(
                PlannedDecision(
                    iid,
                    ext,
                    self.customer["id"],
                    self.customer["external_id"],
                    step,
                    self.strategy,
                    1,
                    DecisionAction.SUPERSEDED,
                    None,
                )
            )

    def firing_number(self, current: StepInfo, entry) -> int | None:
        """Steps 2–3: the first firing, a repeat that is due, or None (nothing to do)."""
        return next_firing(current, entry, self.planner.as_of)

    def skip_reason(self, iid: int, factored, channel: str) -> SkipReason | None:
        """Step 4: the first matching reason, in the documented order."""
        hold = self.facts.holds.reason(
            iid,
            factored=factored,
            paused=self.paused,
            do_not_contact=self.customer["do_not_contact"],
        )
        if hold is not None:
            return SKIP_FOR_HOLD[hold]
        if channel not in MESSAGE_CHANNELS:
            return None
        if not self.recipients_for(channel):
            return SkipReason.NO_CONTACT
        return self.cap_reason(channel)

    def recipients_for(self, channel: str) -> list[dict]:
        recipients = self.recipients.get(channel)
        if recipients is None:
            usable = allowed_recipients(
                self.policy_or_build(), self.facts.contacts.usable(self.customer["id"], channel)
            )
            if channel == StepChannel.LETTER:  # one letter, headed to the first contact
                usable = usable[:1]
            recipients = self.recipients[channel] = usable
        return recipients

    def cap_reason(self, channel: str) -> SkipReason | None:
        """``already_messaged`` or ``frequency_cap``, once per channel. Contact points that
        reached the cap are left out of the message; with none left the firing waits."""
        if channel in self.cap_reasons:
            return self.cap_reasons[channel]
        policy = self.policy_or_build()
        existing = self.facts.today.get((self.customer["id"], channel))
        if existing:
            reason = None if existing[1] == MessageStatus.QUEUED else SkipReason.ALREADY_MESSAGED
        else:
            allowed = [
                contact
                for contact in self.recipients[channel]
                if within_cap(
                    policy,
                    as_of=self.planner.as_of,
                    previous=self.facts.previous.get((contact["id"], channel), ()),
                )
                and self.within_cross_channel(policy, contact, channel)
            ]
            if allowed:
                self.recipients[channel] = allowed
            reason = None if allowed else SkipReason.FREQUENCY_CAP
        self.cap_reasons[channel] = reason
        return reason

    def within_cross_channel(self, policy, contact: dict, channel: str) -> bool:
        """The legal floors counted across channels (Colombia, Chile): earlier messages to
        the contact on every channel, and the customer's other messages of the day."""
        if not (policy.max_per_day or policy.channels_per_7_days or policy.all_channels_per_7_days):
            return True
        previous = {}
        for other in MESSAGE_CHANNELS:
            days = list(self.facts.previous.get((contact["id"], other), ()))
            if self.facts.today.get((self.customer["id"], other)) or (
                other != channel and self.firings.get(other)
            ):
                days.append(self.planner.as_of)
            previous[other] = days
        return within_cross_channel_caps(
            policy, as_of=self.planner.as_of, channel=channel, previous=previous
        )

    def policy_or_build(self):
        if self.policy is None:
            self.policy = self.planner.policy_for(self.customer, self.strategy)
        return self.policy

    def ask_for_contact(self, iid: int, channel: str) -> None:
        """A missing-contact task per customer and channel (merged by key when written)."""
        self.plan.tasks.append(
            PlannedTask(
                key=missing_contact_task_key(self.customer["id"], channel),
                customer_id=self.customer["id"],
                kind=TaskKind.MISSING_CONTACT,
                step=None,
                invoice_ids=[iid],
                assignee_id=self.customer["assigned_agent_id"],
            )
        )
