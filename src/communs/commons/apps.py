from django.apps import AppConfig


class CommonsConfig(AppConfig):
    name = "communs.commons"
    label = "commons"
