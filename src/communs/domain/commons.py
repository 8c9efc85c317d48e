"""Rules for commons and agent names."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from typing import cast

from .contributions import has_nul
from .errors import FieldErrors


class Kind(StrEnum):
    SOFTWARE = "software"
    DESIGN = "design"
    KNOWLEDGE = "knowledge"
    DATASET = "dataset"
    PHYSICAL_POOL = "physical_pool"


class OrganisationKind(StrEnum):
    WORKER_COOP = "worker_coop"
    COOPERATIVE = "cooperative"
    NONPROFIT = "nonprofit"
    PUBLIC_BODY = "public_body"
    FOR_PROFIT = "for_profit"
    SOLE_TRADER = "sole_trader"
    INFORMAL_GROUP = "informal_group"


SLUG_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,48}[a-z0-9])?$")
NAME_RE = re.compile(r"^[a-z0-9](?:[a-z0-9_-]{0,38}[a-z0-9])?$")
WHOLE_RE = re.compile(r"-?[0-9]{1,9}")
LICENCE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9.+-]{0,63}$")
# Slugs that would shadow a page of the site.
RESERVED_SLUGS = frozenset({"new", "create", "search", "api", "admin", "static", "review"})
MAX_TITLE = 200
MAX_SUMMARY = 500
MAX_DESCRIPTION = 20_000
MAX_APPROVALS = 20


@dataclass(frozen=True)
class CommonsInput:
    slug: str
    title: str
    summary: str
    description: str
    kind: Kind
    licence: str
    approvals_required: int


def is_slug(value: str) -> bool:
    """Could a commons be named this? Lets a lookup answer "not found" without asking the
    database about a value no commons can have (PostgreSQL refuses NUL with an error)."""
    return bool(SLUG_RE.fullmatch(value))


def is_name(value: str) -> bool:
    """Could an agent (person or organisation) be named this?"""
    return bool(NAME_RE.fullmatch(value))


def check_kind(kind: str, errors: FieldErrors) -> Kind | None:
    try:
        return Kind(kind)
    except ValueError:
        errors.add("kind", f"Unknown kind; choose one of {', '.join(Kind)}.")
        return None


def check_slug(slug: str, errors: FieldErrors, field: str = "slug") -> str:
    value = (slug or "").strip()
    if not SLUG_RE.fullmatch(value):
        errors.add(field, "Use 1 to 50 lowercase letters, digits and hyphens, not at either end.")
    elif value in RESERVED_SLUGS:
        errors.add(field, f"'{value}' is reserved; choose another.")
    return value


def check_name(name: str, errors: FieldErrors, field: str = "username") -> str:
    value = (name or "").strip()
    if not NAME_RE.fullmatch(value):
        errors.add(
            field,
            "Use 1 to 40 lowercase letters, digits, '-' and '_', "
            "starting and ending with a letter or digit.",
        )
    return value


def check_title(title: str, errors: FieldErrors) -> str:
    value = (title or "").strip()
    if not value:
        errors.add("title", "A title is required.")
    elif len(value) > MAX_TITLE:
        errors.add("title", f"Keep the title under {MAX_TITLE} characters.")
    elif has_nul(value):
        errors.add("title", "Remove the NUL character.")
    return value


def check_commons(
    *,
    slug: str,
    title: str,
    summary: str = "",
    description: str = "",
    kind: str = Kind.SOFTWARE,
    licence: str = "",
    approvals_required: object = 1,
) -> CommonsInput:
    errors = FieldErrors()
    slug = check_slug(slug, errors)
    title = check_title(title, errors)
    summary = (summary or "").strip()
    if len(summary) > MAX_SUMMARY:
        errors.add("summary", f"Keep the summary under {MAX_SUMMARY} characters.")
    elif has_nul(summary):
        errors.add("summary", "Remove the NUL character.")
    description = (description or "").strip()
    if len(description) > MAX_DESCRIPTION:
        errors.add("description", f"Keep the description under {MAX_DESCRIPTION} characters.")
    elif has_nul(description):
        errors.add("description", "Remove the NUL character.")
    commons_kind = check_kind(kind, errors)
    licence = (licence or "").strip()
    if licence and not LICENCE_RE.fullmatch(licence):
        errors.add("licence", "Use a licence identifier such as MIT, CC-BY-SA-4.0 or PPL-1.0.")
    approvals = check_approvals(approvals_required, errors)
    errors.raise_if_any()
    # raise_if_any() returned, so the kind parsed.
    return CommonsInput(
        slug, title, summary, description, cast(Kind, commons_kind), licence, approvals
    )


def check_approvals(raw: object, errors: FieldErrors, *, maintainers: int | None = None) -> int:
    """How many maintainer approvals accept a contribution. With `maintainers` (how many the
    commons has), no more than that: otherwise nothing could ever be accepted."""
    if isinstance(raw, bool) or not isinstance(raw, int | str):
        errors.add("approvals_required", "Enter a whole number.")
        return 1
    if isinstance(raw, str) and not WHOLE_RE.fullmatch(raw.strip()):
        # int() would also read "1_0" and other scripts' digits.
        errors.add("approvals_required", "Enter a whole number.")
        return 1
    value = int(raw)
    if not 1 <= value <= MAX_APPROVALS:
        errors.add("approvals_required", f"Between 1 and {MAX_APPROVALS} approvals.")
    elif maintainers is not None and value > maintainers:
        counted = "1 maintainer" if maintainers == 1 else f"{maintainers} maintainers"
        errors.add(
            "approvals_required",
            f"This commons has {counted}, so it cannot require more than {maintainers} "
            "approvals; add maintainers first.",
        )
    return value
