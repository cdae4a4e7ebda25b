from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "cartera.reports"
    label = "reports"

    def ready(self):
        try:
            from cartera.scheduler import Daily, register
        except ImportError:  # scheduler not available: run `cartera report …` from cron
            return
        # 01:30 local: snapshot of yesterday, then today's customer classification.
        register(
            "reports-daily",
            Daily(hour=1, minute=30),
            "cartera.reports.tasks.daily_reports",
            per_organization=True,
        )
