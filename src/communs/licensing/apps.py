from django.apps import AppConfig


class LicensingConfig(AppConfig):
    name = "communs.licensing"
    label = "licensing"
