from django.apps import AppConfig


class LedgerConfig(AppConfig):
    name = "communs.ledger"
    label = "ledger"
