"""Rules for commons, slugs and agent names."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from communs.domain import commons as rules
from communs.domain.errors import FieldErrors, Invalid


def check(**overrides: Any) -> rules.CommonsInput:
    fields: dict[str, Any] = {"slug": "seed-library", "title": "Seed library"}
    fields.update(overrides)
    return rules.check_commons(**fields)


def errors_of(**overrides: Any) -> dict[str, list[str]]:
    with pytest.raises(Invalid) as caught:
        check(**overrides)
    assert caught.value.errors
    return caught.value.errors


def test_valid_commons_with_defaults() -> None:
    assert check() == rules.CommonsInput(
        slug="seed-library",
        title="Seed library",
        summary="",
        description="",
        kind=rules.Kind.SOFTWARE,
        licence="",
        approvals_required=1,
    )


def test_valid_commons_with_every_field_is_trimmed() -> None:
    data = check(
        slug="  tools-2  ",
        title="  Tool pool ",
        summary=" Shared tools ",
        description=" Drills and saws ",
        kind="physical_pool",
        licence=" CC-BY-SA-4.0 ",
        approvals_required="3",
    )
    assert data == rules.CommonsInput(
        "tools-2",
        "Tool pool",
        "Shared tools",
        "Drills and saws",
        rules.Kind.PHYSICAL_POOL,
        "CC-BY-SA-4.0",
        3,
    )


@pytest.mark.parametrize("slug", ["a", "0", "a-b", "abc123", "x" * 50, "9-lives"])
def test_good_slugs(slug: str) -> None:
    assert check(slug=slug).slug == slug


@pytest.mark.parametrize(
    "slug",
    [
        "",
        "  ",
        "Seed",
        "SEED-LIBRARY",
        "x" * 51,
        "-seed",
        "seed-",
        "-",
        "seed_library",
        "seed library",
        "seed.library",
        "séed",
        "seed/lib",
        "../etc",
        "seed\x00",
        None,
    ],
)
def test_bad_slugs(slug: Any) -> None:
    assert set(errors_of(slug=slug)) == {"slug"}


@pytest.mark.parametrize("slug", sorted(rules.RESERVED_SLUGS))
def test_reserved_slugs(slug: str) -> None:
    errors = errors_of(slug=slug)
    assert set(errors) == {"slug"}
    assert "reserved" in errors["slug"][0]


@given(st.from_regex(rules.SLUG_RE, fullmatch=True))
def test_any_slug_matching_the_pattern_is_accepted_unless_reserved(slug: str) -> None:
    slug = slug.rstrip("\n")
    if slug in rules.RESERVED_SLUGS or not rules.SLUG_RE.fullmatch(slug):
        return
    assert check(slug=slug).slug == slug
    assert len(slug) <= 50


@pytest.mark.parametrize("title", ["", "   ", None, "x" * (rules.MAX_TITLE + 1), "bad\x00"])
def test_bad_titles(title: Any) -> None:
    assert set(errors_of(title=title)) == {"title"}


def test_title_at_the_limit_is_accepted() -> None:
    assert check(title="é" * rules.MAX_TITLE).title == "é" * rules.MAX_TITLE


@pytest.mark.parametrize(
    ("field", "limit"), [("summary", rules.MAX_SUMMARY), ("description", rules.MAX_DESCRIPTION)]
)
def test_over_long_summary_and_description(field: str, limit: int) -> None:
    assert getattr(check(**{field: "x" * limit}), field) == "x" * limit
    assert set(errors_of(**{field: "x" * (limit + 1)})) == {field}
    assert set(errors_of(**{field: "nul\x00"})) == {field}


@pytest.mark.parametrize("kind", list(rules.Kind))
def test_every_kind_is_accepted(kind: rules.Kind) -> None:
    assert check(kind=kind.value).kind is kind


@pytest.mark.parametrize("kind", ["", "Software", "music", None, "physical-pool"])
def test_unknown_kinds_are_refused(kind: Any) -> None:
    assert set(errors_of(kind=kind)) == {"kind"}


@pytest.mark.parametrize("licence", ["MIT", "CC-BY-SA-4.0", "PPL-1.0", "GPL-3.0+", "", "x" * 64])
def test_good_licences(licence: str) -> None:
    assert check(licence=licence).licence == licence


@pytest.mark.parametrize(
    "licence", ["-MIT", "MIT License", "GPL/3", "x" * 65, "<script>", "CC BY", "mit\x00"]
)
def test_bad_licences(licence: str) -> None:
    assert set(errors_of(licence=licence)) == {"licence"}


@pytest.mark.parametrize(("raw", "value"), [(1, 1), (20, 20), ("2", 2), (" 7 ", 7)])
def test_good_approvals(raw: object, value: int) -> None:
    assert check(approvals_required=raw).approvals_required == value


@pytest.mark.parametrize(
    "raw",
    [0, 21, -1, "0", "21", "x", "", "1.5", 1.0, 2.5, True, False, None, [1], "9" * 5000],
)
def test_bad_approvals(raw: object) -> None:
    errors = errors_of(approvals_required=raw)
    assert set(errors) == {"approvals_required"}
    assert len(errors["approvals_required"]) == 1


def test_every_bad_field_is_reported_at_once() -> None:
    errors = errors_of(
        slug="Bad Slug",
        title="",
        summary="s" * 501,
        kind="music",
        licence="a b",
        approvals_required=0,
    )
    assert set(errors) == {"slug", "title", "summary", "kind", "licence", "approvals_required"}


@pytest.mark.parametrize("name", ["a", "alice", "bob_2", "x-y_z", "a" * 40])
def test_good_agent_names(name: str) -> None:
    errors = FieldErrors()
    assert rules.check_name(name, errors) == name
    assert errors.errors == {}


@pytest.mark.parametrize("name", ["", "Alice", "_bob", "bob_", "a" * 41, "bob smith", "bób", None])
def test_bad_agent_names(name: Any) -> None:
    errors = FieldErrors()
    rules.check_name(name, errors, "username")
    assert set(errors.errors) == {"username"}
    with pytest.raises(Invalid) as caught:
        errors.raise_if_any()
    assert caught.value.errors == errors.errors
