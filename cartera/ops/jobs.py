"""Every periodic job Cartera runs, in one list. The scheduler (``scheduler.py``) claims each
job's time slot exactly once; per-organisation jobs run in each organisation's time zone."""

from cartera.dunning.models import run_hour_for

from .schedules import Daily, Every, Job

JOBS: dict[str, Job] = {
    job.name: job
    for job in [
        # 00:05 local: the forecast — probability of paying late per customer (the
        # priority below takes it into account) and the dashboard's expected weeks.
        Job(
            "forecast",
            Daily(hour=0, minute=5),
            "cartera.reports.tasks.nightly_forecast",
            per_organization=True,
        ),
        # 00:20 local: today's priority score of every open task (the work list sorts by it
        # in SQL; it also rescores, before sorting, any task not scored for today).
        Job(
            "followup-scores",
            Daily(hour=0, minute=20),
            "cartera.followup.tasks.refresh_task_scores",
            per_organization=True,
        ),
        # 00:30 local: promises whose date passed yesterday are settled (kept/broken).
        Job(
            "promises",
            Daily(hour=0, minute=30),
            "cartera.followup.tasks.settle_promises",
            per_organization=True,
        ),
        # 00:40 local: payment plans: completed, or broken after an unpaid instalment's
        # grace period (task + broken promise); before the planner resumes their invoices.
        Job(
            "payment-plans",
            Daily(hour=0, minute=40),
            "cartera.followup.tasks.settle_payment_plans",
            per_organization=True,
        ),
        # 00:50 local: late interest through today, where the organisation charges it.
        Job(
            "late-interest",
            Daily(hour=0, minute=50),
            "cartera.agreements.tasks.accrue_late_interest",
            per_organization=True,
        ),
        # 01:30 local: snapshot of yesterday, then today's customer classification.
        Job(
            "reports-daily",
            Daily(hour=1, minute=30),
            "cartera.reports.tasks.daily_reports",
            per_organization=True,
        ),
        # 08:00 local: customer documents — rule-based requests, expiries (agent task) and
        # the reminders due at the organisation's cadence (docs/customer-documents.md).
        Job(
            "customer-documents",
            Daily(hour=8),
            "cartera.dunning.tasks.customer_documents",
            per_organization=True,
        ),
        # 07:00 local: scheduled reports due today, produced and queued for e-mail.
        Job(
            "report-subscriptions",
            Daily(hour=7),
            "cartera.reports.tasks.scheduled_reports",
            per_organization=True,
        ),
        # 07:15 local: the daily digest of every manager and agent (after the night's jobs).
        Job(
            "daily-digest",
            Daily(hour=7, minute=15),
            "cartera.reports.tasks.daily_digest",
            per_organization=True,
        ),
        # 02:00 local: the SAT status of every open invoice's CFDI; cancelled ones are voided
        # before the planner chases them.
        Job(
            "cfdi-status",
            Daily(hour=2),
            "cartera.fiscal.tasks.check_cfdi_statuses",
            per_organization=True,
        ),
        # 06:00 local: recurring invoices due today, stamped and sent before the workday.
        Job(
            "recurring-invoices",
            Daily(hour=6),
            "cartera.fiscal.tasks.issue_recurring_invoices",
            per_organization=True,
        ),
        # 03:00 local: the ledger check; logs mismatches.
        Job(
            "ledger-check",
            Daily(hour=3),
            "cartera.payments.tasks.check_organization_ledger",
            per_organization=True,
        ),
        # 23:55 local: the timeline's chain head for the day, signed with the organisation's
        # key (docs/timeline-chain.md); a truncated history no longer reaches its anchor.
        Job(
            "timeline-anchor",
            Daily(hour=23, minute=55),
            "cartera.timeline.tasks.anchor_timeline",
            per_organization=True,
        ),
        # The organisation's run hour: the collection planner, then scheduled statements.
        Job(
            "dunning",
            Daily(hour=run_hour_for),
            "cartera.dunning.tasks.run_dunning",
            per_organization=True,
        ),
        Job(
            "statements",
            Daily(hour=run_hour_for),
            "cartera.dunning.tasks.send_statements",
            per_organization=True,
        ),
        # Every quarter hour: "a new invoice was issued" messages, where enabled.
        Job(
            "invoice-issued",
            Every(minutes=15),
            "cartera.dunning.tasks.send_new_invoices",
            per_organization=True,
        ),
        # Every hour: the SAT's Descarga Masiva of the CFDI the organisation issued (where an
        # e.firma and a start date are set): follow the open request, ask for the next period.
        Job(
            "sat-download",
            Every(minutes=60),
            "cartera.imports.tasks.download_from_sat",
            per_organization=True,
        ),
        # Every quarter hour: movements read from CEP receipts, checked with Banxico.
        Job(
            "cep-movements",
            Every(minutes=15),
            "cartera.payments.tasks.check_cep_movement_receipts",
            per_organization=True,
        ),
        # Every quarter hour: open payment requests past their expiry become expired.
        Job(
            "payment-requests-expire",
            Every(minutes=15),
            "cartera.payments.tasks.expire_payment_requests",
            per_organization=True,
        ),
        # Every minute: the outbox sends what is due.
        Job("outbox-send", Every(minutes=1), "cartera.outreach.tasks.send_due"),
        # Every minute: internal e-mails to members (scheduled reports) with attachments.
        Job("member-mail-send", Every(minutes=1), "cartera.reports.tasks.send_member_mails"),
        # Every minute: outgoing webhooks whose retry is due.
        Job("webhooks-retry", Every(minutes=1), "cartera.api.tasks.deliver_due_webhooks"),
        # Every 5 minutes: payment notifications still queued (a read-back that failed, a
        # lost job) are enqueued again (docs/payments-online.md).
        Job(
            "provider-events-retry",
            Every(minutes=5),
            "cartera.portal.tasks.retry_provider_events",
        ),
        # Every hour: one-time form keys older than two days (orgs/submissions.py).
        Job(
            "form-submissions-prune", Every(minutes=60), "cartera.orgs.tasks.prune_form_submissions"
        ),
        # Every quarter hour: ERP connections whose own interval has passed (pull + push).
        Job("erp-sync", Every(minutes=15), "cartera.api.tasks.sync_erp", per_organization=True),
    ]
}
