from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "communs.core"
    label = "core"
