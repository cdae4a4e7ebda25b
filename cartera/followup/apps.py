from django.apps import AppConfig


class FollowupConfig(AppConfig):
    name = "cartera.followup"
    label = "followup"

    def ready(self):
        from cartera.scheduler import Daily, register

        # 00:20 local: today's priority score of every open task (the work list sorts by
        # it in SQL; it also rescores, before sorting, any task not scored for today).
        register(
            "followup-scores",
            Daily(hour=0, minute=20),
            "cartera.followup.tasks.refresh_task_scores",
            per_organization=True,
        )
