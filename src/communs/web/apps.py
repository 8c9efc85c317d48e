from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "communs.web"
    label = "web"
