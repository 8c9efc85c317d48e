from django.apps import AppConfig


class GovernanceConfig(AppConfig):
    name = "communs.governance"
    label = "governance"
