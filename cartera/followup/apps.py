from django.apps import AppConfig


class FollowupConfig(AppConfig):
    name = "cartera.followup"
    label = "followup"
