"""Production: every secret from the environment, HTTPS only, PostgreSQL via DATABASE_URL."""

import os

from .base import *  # noqa: F403

SECRET_KEY = os.environ["COMMUNS_SECRET_KEY"]
ALLOWED_HOSTS = [h for h in os.environ.get("COMMUNS_ALLOWED_HOSTS", "").split(",") if h]
CSRF_TRUSTED_ORIGINS = [f"https://{h}" for h in ALLOWED_HOSTS]

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = True
SECURE_HSTS_SECONDS = 31_536_000
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
X_FRAME_OPTIONS = "DENY"
