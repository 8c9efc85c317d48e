"""Tests: in-memory SQLite, or the PostgreSQL server named by COMMUNS_TEST_DATABASE."""

import os
import tempfile
from pathlib import Path

from .base import *  # noqa: F403
from .base import database_from_url

# Files the code writes (the demo's git repository) go to a directory of this test run.
DATA_DIR = Path(tempfile.mkdtemp(prefix="communs-test-"))

SECRET_KEY = "test-only-not-secret"  # noqa: S105
ALLOWED_HOSTS = ["testserver", "127.0.0.1", "localhost"]
DATABASES = {
    "default": database_from_url(os.environ.get("COMMUNS_TEST_DATABASE", "sqlite://:memory:"))
}
# Argon2 is deliberately slow; tests need speed, not strength.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# 4xx answers are what many tests expect; keep their warnings out of the output.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "loggers": {"django.request": {"level": "ERROR"}},
}
