"""The rules of a contribution and of its a-posteriori validation."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from communs.domain import contributions as c
from communs.domain.errors import Conflict, Forbidden, Invalid

NOW = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


def check(**overrides: Any) -> c.ContributionInput:
    fields: dict[str, Any] = {
        "action": "work",
        "quantity": "2.5",
        "unit": None,
        "description": "Sorted the seed bank",
        "evidence_url": None,
        "occurred_at": None,
        "stream": None,
        "now": NOW,
    }
    fields.update(overrides)
    return c.check_contribution(**fields)


def errors_of(**overrides: Any) -> dict[str, list[str]]:
    with pytest.raises(Invalid) as caught:
        check(**overrides)
    assert caught.value.errors, "Invalid must name the bad fields"
    assert caught.value.status == 422
    return caught.value.errors


# -- accepted input -----------------------------------------------------------------------------


def test_valid_input_with_defaults() -> None:
    data = check()
    assert data == c.ContributionInput(
        action=c.Action.WORK,
        quantity=Decimal("2.5"),
        unit="hour",
        description="Sorted the seed bank",
        evidence_url="",
        occurred_at=NOW,
        stream=c.Stream.LIVELIHOOD,
    )


def test_valid_input_with_every_field() -> None:
    when = datetime(2024, 4, 30, 9, 30, tzinfo=timezone(timedelta(hours=2)))
    data = check(
        action="produce",
        quantity=3,
        unit="design",
        description="  Three seed-sorting jigs  ",
        evidence_url=" https://example.org/jigs?x=1#top ",
        occurred_at=when,
        stream="care",
    )
    assert data.action is c.Action.PRODUCE
    assert data.quantity == Decimal(3)
    assert data.unit == "design"
    assert data.description == "Three seed-sorting jigs"
    assert data.evidence_url == "https://example.org/jigs?x=1#top"
    assert data.occurred_at == when
    assert data.stream is c.Stream.CARE


@pytest.mark.parametrize("action", list(c.Action))
def test_every_action_accepts_each_of_its_units(action: c.Action) -> None:
    for unit in c.UNITS[action]:
        assert check(action=action.value, unit=unit).unit == unit
    assert check(action=action.value).unit == c.UNITS[action][0]


@pytest.mark.parametrize("stream", list(c.Stream))
def test_every_stream_is_accepted(stream: c.Stream) -> None:
    assert check(stream=stream.value).stream is stream


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1", Decimal(1)),
        (" 0.0001 ", Decimal("0.0001")),
        ("1000000", Decimal(1000000)),
        ("1000000.0000", Decimal(1000000)),
        (7, Decimal(7)),
        (Decimal("12.3400"), Decimal("12.34")),
        (0.5, Decimal("0.5")),
        ("0.10000", Decimal("0.1")),
        ("2.500000000", Decimal("2.5")),
    ],
)
def test_quantities_accepted(raw: object, expected: Decimal) -> None:
    assert check(quantity=raw).quantity == expected


def test_time_within_the_clock_slack_and_old_dates_are_accepted() -> None:
    assert check(occurred_at=NOW + timedelta(hours=23)).occurred_at == NOW + timedelta(hours=23)
    old = datetime(1970, 1, 1, tzinfo=UTC)
    assert check(occurred_at=old).occurred_at == old


# -- property: any quantity in (0, MAX] with at most 4 places ------------------------------------


@given(
    st.decimals(
        min_value=Decimal("0.0001"),
        max_value=c.MAX_QUANTITY,
        places=c.QUANTITY_PLACES,
        allow_nan=False,
        allow_infinity=False,
    ),
    st.sampled_from([str, lambda d: d]),
)
def test_any_valid_quantity_is_accepted_and_preserved_exactly(
    quantity: Decimal, as_input: Any
) -> None:
    data = check(quantity=as_input(quantity))
    assert data.quantity == quantity
    assert str(data.quantity) == str(quantity)


@given(
    st.integers(c.QUANTITY_PLACES + 1, 12).flatmap(
        lambda places: st.builds(
            lambda digits: Decimal(digits).scaleb(-places),
            st.integers(1, int(c.MAX_QUANTITY) * 10**places).filter(lambda n: n % 10 != 0),
        )
    )
)
def test_any_quantity_with_more_than_four_places_is_refused(quantity: Decimal) -> None:
    assert 0 < quantity <= c.MAX_QUANTITY
    assert set(errors_of(quantity=str(quantity))) == {"quantity"}
    assert set(errors_of(quantity=quantity)) == {"quantity"}


# -- refused input, field by field ---------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        "-1",
        "-0.0001",
        "0",
        "0.0000",
        "-0",
        0,
        -3,
        "abc",
        "1,5",
        "1.2.3",
        "",
        "   ",
        None,
        "NaN",
        "nan",
        "sNaN",
        "Infinity",
        "-Infinity",
        "inf",
        float("nan"),
        float("inf"),
        Decimal("NaN"),
        Decimal("sNaN"),
        Decimal("Infinity"),
        True,
        False,
        "1000000.0001",
        "1e7",
        "9" * 400,
        "1e999999999",
        10**30,
        "0.00001",
        "1.23456",
        "1e-5",
        "1e2",
        "1E2",
        "1_000",
        "١٢",
        "²",
        "+1",
        ".5",
        "5.",
        "1 000",
        "0x10",
        1e-05,
        Decimal("1E+2"),
        [1],
        {"q": 1},
    ],
)
def test_bad_quantities_are_refused_on_the_quantity_field(raw: object) -> None:
    errors = errors_of(quantity=raw)
    assert set(errors) == {"quantity"}
    assert len(errors["quantity"]) == 1


def test_unknown_action_is_refused_and_unit_not_blamed() -> None:
    errors = errors_of(action="steal", unit="hour")
    assert set(errors) == {"action"}
    assert "work" in errors["action"][0]


@pytest.mark.parametrize(("action", "unit"), [("work", "kg"), ("cite", "hour"), ("use", "parsec")])
def test_unit_that_does_not_measure_the_action_is_refused(action: str, unit: str) -> None:
    errors = errors_of(action=action, unit=unit)
    assert set(errors) == {"unit"}


@pytest.mark.parametrize("stream", ["salary", "LIVELIHOOD", "pro-bono"])
def test_unknown_stream_is_refused(stream: str) -> None:
    assert set(errors_of(stream=stream)) == {"stream"}


@pytest.mark.parametrize("text", ["", "   ", "\n\t", "x" * (c.MAX_DESCRIPTION + 1)])
def test_missing_or_over_long_description_is_refused(text: str) -> None:
    assert set(errors_of(description=text)) == {"description"}


def test_description_at_the_limit_is_accepted() -> None:
    assert len(check(description="x" * c.MAX_DESCRIPTION).description) == c.MAX_DESCRIPTION


def test_nul_character_in_description_is_refused() -> None:
    """PostgreSQL cannot store NUL in text: it must be a 422, not a database error."""
    assert set(errors_of(description="seeds\x00")) == {"description"}


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "JAVASCRIPT:alert(1)",
        "ftp://example.org/file",
        "file:///etc/passwd",
        "data:text/html,hi",
        "http://",
        "https:///path-only",
        "http:example.org",
        "//example.org/x",
        "example.org",
        "http://exa mple.org/",
        "https://example.org/a b",
        "https://example.org/\tx",
        "https://example.org/\x00",
        "http://[::1",
        "https://example.org/" + "a" * 481,
    ],
)
def test_malformed_evidence_urls_are_refused(url: str) -> None:
    assert set(errors_of(evidence_url=url)) == {"evidence_url"}


def test_url_of_exactly_500_characters_is_accepted() -> None:
    url = "https://example.org/" + "a" * 480
    assert len(url) == c.MAX_URL
    assert check(evidence_url=url).evidence_url == url


def test_naive_datetime_is_refused() -> None:
    assert set(errors_of(occurred_at=datetime(2024, 4, 1, 12, 0))) == {"occurred_at"}


@pytest.mark.parametrize("ahead", [timedelta(hours=24, seconds=1), timedelta(days=400)])
def test_future_datetime_is_refused(ahead: timedelta) -> None:
    assert set(errors_of(occurred_at=NOW + ahead)) == {"occurred_at"}


def test_datetime_before_1970_is_refused() -> None:
    assert set(errors_of(occurred_at=datetime(1969, 12, 31, 23, 0, tzinfo=UTC))) == {"occurred_at"}


def test_every_bad_field_is_reported_at_once() -> None:
    errors = errors_of(
        action="work",
        quantity="-2",
        unit="kg",
        description="",
        evidence_url="javascript:x",
        occurred_at=NOW + timedelta(days=30),
        stream="nope",
    )
    assert set(errors) == {
        "quantity",
        "unit",
        "description",
        "evidence_url",
        "occurred_at",
        "stream",
    }


# -- check_reason -------------------------------------------------------------------------------


def test_rejection_reason_is_required_and_note_is_optional() -> None:
    with pytest.raises(Invalid) as caught:
        c.check_reason("   ", required=True)
    assert set(caught.value.errors) == {"reason"}
    with pytest.raises(Invalid):
        c.check_reason(None, required=True)
    assert c.check_reason("  duplicate  ", required=True) == "duplicate"
    assert c.check_reason(None, required=False) == ""
    assert c.check_reason("thanks", required=False) == "thanks"


@pytest.mark.parametrize(("required", "field"), [(True, "reason"), (False, "note")])
def test_over_long_reason_or_note_is_refused(required: bool, field: str) -> None:
    with pytest.raises(Invalid) as caught:
        c.check_reason("x" * (c.MAX_DESCRIPTION + 1), required=required)
    assert set(caught.value.errors) == {field}
    with pytest.raises(Invalid) as caught:
        c.check_reason("bad\x00", required=required)
    assert set(caught.value.errors) == {field}


# -- truth tables -------------------------------------------------------------------------------

REVIEW_CASES = [
    # status, maintainer, contributor, already approved -> error (None = allowed)
    ("submitted", True, False, False, None),
    ("submitted", False, False, False, Forbidden),
    ("submitted", False, True, False, Forbidden),
    ("submitted", True, True, False, Forbidden),
    ("submitted", True, False, True, Conflict),
    ("submitted", True, True, True, Forbidden),
    ("accepted", True, False, False, Conflict),
    ("rejected", True, False, False, Conflict),
    ("withdrawn", True, False, False, Conflict),
    ("accepted", False, False, False, Forbidden),
    ("withdrawn", True, True, False, Forbidden),
]


@pytest.mark.parametrize(("status", "maintainer", "contributor", "approved", "error"), REVIEW_CASES)
def test_check_review(
    status: str, maintainer: bool, contributor: bool, approved: bool, error: type | None
) -> None:
    def call() -> None:
        c.check_review(
            status=status,
            reviewer_is_maintainer=maintainer,
            reviewer_is_contributor=contributor,
            already_approved=approved,
        )

    if error is None:
        call()
    else:
        with pytest.raises(error) as caught:
            call()
        assert type(caught.value) is error


@pytest.mark.parametrize(
    ("status", "is_contributor", "error"),
    [
        ("submitted", True, None),
        ("submitted", False, Forbidden),
        ("accepted", True, Conflict),
        ("rejected", True, Conflict),
        ("withdrawn", True, Conflict),
        ("accepted", False, Forbidden),
    ],
)
def test_check_withdrawal(status: str, is_contributor: bool, error: type | None) -> None:
    def call() -> None:
        c.check_withdrawal(status=status, actor_is_contributor=is_contributor)

    if error is None:
        call()
    else:
        with pytest.raises(error) as caught:
            call()
        assert type(caught.value) is error


@pytest.mark.parametrize(
    ("approvals", "required", "status"),
    [
        (0, 1, c.Status.SUBMITTED),
        (1, 1, c.Status.ACCEPTED),
        (1, 2, c.Status.SUBMITTED),
        (2, 2, c.Status.ACCEPTED),
        (3, 2, c.Status.ACCEPTED),
        (19, 20, c.Status.SUBMITTED),
        (20, 20, c.Status.ACCEPTED),
    ],
)
def test_status_after_approval(approvals: int, required: int, status: c.Status) -> None:
    assert c.status_after_approval(approvals, required) is status


@given(st.integers(0, 40), st.integers(1, 20))
def test_status_after_approval_property(approvals: int, required: int) -> None:
    accepted = c.status_after_approval(approvals, required) is c.Status.ACCEPTED
    assert accepted == (approvals >= required)
