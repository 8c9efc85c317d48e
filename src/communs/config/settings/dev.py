"""Development and the demo: DEBUG on, SQLite under var/ unless DATABASE_URL says otherwise."""

from .base import *  # noqa: F403
from .base import DATA_DIR

DEBUG = True
SECRET_KEY = "dev-only-not-secret"  # noqa: S105 - never used outside a developer's machine
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "[::1]"]
DATA_DIR.mkdir(parents=True, exist_ok=True)
