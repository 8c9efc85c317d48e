from django.apps import AppConfig


class HistoryConfig(AppConfig):
    name = "communs.history"
    label = "history"
