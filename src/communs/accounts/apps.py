from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "communs.accounts"
    label = "accounts"
