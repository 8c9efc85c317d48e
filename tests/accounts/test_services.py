"""Sign-up, API tokens, organisations and memberships."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.db.models import Model

from communs.accounts import selectors, services
from communs.accounts.models import Agent, ApiToken, Membership
from communs.config.settings import base as base_settings
from communs.core import clock, eventlog
from communs.core.models import Event
from communs.domain.errors import (
    Conflict,
    DomainError,
    Forbidden,
    Invalid,
    NotAuthenticated,
    NotFound,
)

PASSWORD = "a-long-test-passphrase"

Snapshot = Callable[[], dict[str, Any]]


def last_event() -> Event:
    event = Event.objects.order_by("-pk").first()
    assert event is not None
    return event


def refused(
    snapshot: Snapshot, error: type[DomainError], call: Callable[[], object]
) -> DomainError:
    """Run a call that must be refused with exactly `error` and leave every table as it was."""
    before = snapshot()
    with pytest.raises(error) as caught:
        call()
    assert type(caught.value) is error
    assert snapshot() == before
    assert eventlog.verify().breaks == ()
    return caught.value


def sign_up(**overrides: Any) -> Agent:
    fields: dict[str, Any] = {
        "username": "dana",
        "email": "dana@example.org",
        "password": PASSWORD,
    }
    fields.update(overrides)
    return services.user_create(**fields)


# -- user_create --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_user_create_makes_a_user_a_person_and_an_event() -> None:
    agent = sign_up(username=" dana ", display_name="Dana Doe")
    assert agent.name == "dana"
    assert agent.display_name == "Dana Doe"
    assert agent.type == Agent.Type.PERSON
    assert not agent.is_organisation
    assert agent.org_kind == ""
    user = User.objects.get(username="dana")
    assert agent.user == user
    assert user.email == "dana@example.org"
    assert user.check_password(PASSWORD)
    assert user.password != PASSWORD
    assert PASSWORD not in user.password
    event = last_event()
    assert event.stream_id == eventlog.INSTANCE_STREAM
    assert (event.kind, event.actor) == ("account.created", "dana")
    assert event.data == {"name": "dana", "display_name": "Dana Doe"}
    assert PASSWORD not in json.dumps(event.body)
    assert eventlog.verify().breaks == ()


@pytest.mark.django_db
def test_display_name_defaults_to_the_username() -> None:
    assert sign_up(display_name="   ").display_name == "dana"


def test_base_settings_hash_passwords_with_argon2() -> None:
    assert "Argon2" in base_settings.PASSWORD_HASHERS[0]
    assert base_settings.PASSWORD_HASHERS[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"


@pytest.mark.django_db
def test_passwords_are_stored_hashed_by_the_configured_hasher() -> None:
    sign_up()
    stored = User.objects.get(username="dana").password
    assert stored.startswith("md5$")  # the test settings' hasher; base settings use Argon2
    assert PASSWORD not in stored


@pytest.mark.parametrize(
    "username",
    [
        "",
        "   ",
        "Dana",
        "DANA",
        "da na",
        "-dana",
        "dana-",
        "_dana",
        "d" * 41,
        "dána",
        "dana!",
        None,
    ],
)
def test_bad_usernames(snapshot: Snapshot, username: Any) -> None:
    error = refused(snapshot, Invalid, lambda: sign_up(username=username))
    assert set(error.errors) == {"username"}


@pytest.mark.parametrize(
    "email", ["", "dana", "dana@", "@example.org", "dana@@example.org", "da na@example.org", None]
)
def test_bad_emails(snapshot: Snapshot, email: Any) -> None:
    error = refused(snapshot, Invalid, lambda: sign_up(email=email))
    assert set(error.errors) == {"email"}


@pytest.mark.parametrize(
    "password", ["", None, "short", "password123", "12345678901234", "example.org1"]
)
def test_bad_passwords(snapshot: Snapshot, password: Any) -> None:
    error = refused(snapshot, Invalid, lambda: sign_up(password=password))
    assert set(error.errors) == {"password"}


@pytest.mark.parametrize("display_name", ["x" * 201, "Dana\x00"])
def test_bad_display_names(snapshot: Snapshot, display_name: str) -> None:
    error = refused(snapshot, Invalid, lambda: sign_up(display_name=display_name))
    assert set(error.errors) == {"display_name"}


def test_every_bad_field_is_reported_at_once(snapshot: Snapshot) -> None:
    error = refused(
        snapshot, Invalid, lambda: sign_up(username="Bad Name", email="nope", password="x")
    )
    assert set(error.errors) == {"username", "email", "password"}


def test_duplicate_username_is_refused(snapshot: Snapshot) -> None:
    sign_up()
    error = refused(snapshot, Invalid, lambda: sign_up(email="other@example.org"))
    assert set(error.errors) == {"username"}


def test_username_of_an_organisation_is_refused(snapshot: Snapshot) -> None:
    """Persons and organisations share one namespace."""
    founder = sign_up()
    services.organisation_create(
        actor=founder, name="coop", display_name="Coop", kind="worker_coop"
    )
    error = refused(snapshot, Invalid, lambda: sign_up(username="coop", email="coop@example.org"))
    assert set(error.errors) == {"username"}


def test_username_of_an_account_without_agent_is_refused(snapshot: Snapshot) -> None:
    """An account made outside the service (e.g. createsuperuser): a 422, not an IntegrityError."""
    User.objects.create_user(username="root", email="root@example.org", password=PASSWORD)
    error = refused(snapshot, Invalid, lambda: sign_up(username="root", email="r2@example.org"))
    assert set(error.errors) == {"username"}


@pytest.mark.parametrize("email", ["dana@example.org", "DANA@Example.org", " dana@example.org "])
def test_an_email_already_in_use_is_not_revealed(snapshot: Snapshot, email: str) -> None:
    sign_up()
    second = sign_up(username="dana2", email=email)
    assert second.user is not None
    assert second.user.email.lower() == email.strip().lower()


# -- API tokens ---------------------------------------------------------------------------------


def every_stored_text() -> str:
    """Every column of every row of the tables a token could leak into."""
    texts = []
    for model in (ApiToken, Event, User, Agent):
        rows: list[Model] = list(model.objects.all())
        for row in rows:
            for field in row._meta.concrete_fields:
                texts.append(json.dumps(field.value_from_object(row), default=str))
    return "\n".join(texts)


@pytest.mark.django_db
def test_token_is_stored_only_as_its_sha256_digest() -> None:
    user = sign_up().user
    assert user is not None
    token = services.token_create(user=user, label="laptop")
    assert token.startswith(services.TOKEN_PREFIX)
    assert len(token) > 40
    row = ApiToken.objects.get()
    assert row.user == user
    assert row.label == "laptop"
    assert row.digest == hashlib.sha256(token.encode()).hexdigest()
    assert row.prefix == token[:10]
    secret = token[len(services.TOKEN_PREFIX) :]
    stored = every_stored_text()
    assert token not in stored
    assert secret not in stored
    assert secret[8:] not in stored  # not even most of it
    event = last_event()
    assert (event.kind, event.actor, event.data) == ("token.created", "dana", {"label": "laptop"})


@pytest.mark.django_db
def test_user_for_token_resolves_the_right_token_only() -> None:
    dana = sign_up().user
    erin = sign_up(username="erin", email="erin@example.org").user
    assert dana is not None
    assert erin is not None
    dana_token = services.token_create(user=dana)
    erin_token = services.token_create(user=erin)
    assert dana_token != erin_token
    assert selectors.user_for_token(dana_token) == dana
    assert selectors.user_for_token(erin_token) == erin
    last = dana_token[-1]
    altered = dana_token[:-1] + ("A" if last != "A" else "B")
    for wrong in [
        altered,
        dana_token + "x",
        dana_token[:-1],
        dana_token[len(services.TOKEN_PREFIX) :],
        services.TOKEN_PREFIX,
        "",
        row_digest := ApiToken.objects.get(user=dana).digest,
        services.TOKEN_PREFIX + row_digest,
    ]:
        assert selectors.user_for_token(wrong) is None, wrong


@pytest.mark.django_db
def test_token_of_a_deactivated_user_no_longer_works() -> None:
    user = sign_up().user
    assert user is not None
    token = services.token_create(user=user)
    user.is_active = False
    user.save()
    assert selectors.user_for_token(token) is None


@pytest.mark.django_db
def test_token_label_defaults_and_is_trimmed() -> None:
    user = sign_up().user
    assert user is not None
    services.token_create(user=user, label="   ")
    services.token_create(user=user, label="x" * 300)
    labels = sorted(ApiToken.objects.values_list("label", flat=True), key=len)
    assert labels == ["api", "x" * 100]


@pytest.mark.parametrize("label", ["laptop\x00", "\x00"])
def test_token_label_with_nul_is_refused(snapshot: Snapshot, label: str) -> None:
    user = sign_up().user
    assert user is not None
    error = refused(snapshot, Invalid, lambda: services.token_create(user=user, label=label))
    assert set(error.errors) == {"label"}
    error = refused(
        snapshot,
        Invalid,
        lambda: services.token_for_credentials(username="dana", password=PASSWORD, label=label),
    )
    assert set(error.errors) == {"label"}


@pytest.mark.django_db
def test_token_use_is_recorded_at_most_once_an_hour(
    monkeypatch: pytest.MonkeyPatch, django_assert_num_queries: Any
) -> None:
    user = sign_up().user
    assert user is not None
    token = services.token_create(user=user)
    start = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)

    def used_at(moment: datetime) -> datetime | None:
        monkeypatch.setattr(clock, "now", lambda: moment)
        assert selectors.user_for_token(token) == user
        return ApiToken.objects.get().last_used_at

    assert ApiToken.objects.get().last_used_at is None
    assert used_at(start) == start
    assert used_at(start + timedelta(minutes=59)) == start
    assert used_at(start + timedelta(hours=1, seconds=1)) == start + timedelta(hours=1, seconds=1)
    # Within the hour a request costs the lookup only, no write.
    monkeypatch.setattr(clock, "now", lambda: start + timedelta(hours=1, minutes=2))
    with django_assert_num_queries(1):
        selectors.user_for_token(token)


@pytest.mark.django_db
def test_a_stale_token_row_does_not_overwrite_a_newer_use(monkeypatch: pytest.MonkeyPatch) -> None:
    """The UPDATE itself checks the stored time, so two requests at once write it once."""
    user = sign_up().user
    assert user is not None
    services.token_create(user=user)
    row = ApiToken.objects.get()
    newer = datetime(2024, 5, 1, 12, 30, tzinfo=UTC)
    ApiToken.objects.update(last_used_at=newer)  # another request, after `row` was read
    monkeypatch.setattr(clock, "now", lambda: newer + timedelta(minutes=5))
    services.token_used(row)
    assert ApiToken.objects.get().last_used_at == newer


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["a\x00b", "Alice", "", "x" * 41, "-a"])
def test_impossible_agent_names_are_not_found_without_a_query(
    django_assert_num_queries: Any, name: str
) -> None:
    with django_assert_num_queries(0):
        with pytest.raises(NotFound):
            selectors.agent_get(name)
        with pytest.raises(NotFound):
            selectors.organisation_get(name)


@pytest.mark.django_db
def test_token_for_credentials_issues_a_working_token() -> None:
    sign_up()
    token = services.token_for_credentials(username="dana", password=PASSWORD, label="cli")
    assert selectors.user_for_token(token) == User.objects.get(username="dana")
    assert ApiToken.objects.get().label == "cli"


@pytest.mark.parametrize(
    ("username", "password"),
    [
        ("dana", "wrong-passphrase"),
        ("dana", ""),
        ("nobody", PASSWORD),
        ("", ""),
        ("DANA", PASSWORD),
    ],
)
def test_token_for_credentials_with_bad_credentials(
    snapshot: Snapshot, username: str, password: str
) -> None:
    sign_up()
    refused(
        snapshot,
        NotAuthenticated,
        lambda: services.token_for_credentials(username=username, password=password),
    )


def test_token_for_credentials_of_a_deactivated_user(snapshot: Snapshot) -> None:
    user = sign_up().user
    assert user is not None
    user.is_active = False
    user.save()
    refused(
        snapshot,
        NotAuthenticated,
        lambda: services.token_for_credentials(username="dana", password=PASSWORD),
    )


# -- organisations and memberships --------------------------------------------------------------


@pytest.fixture
def dana(db: None) -> Agent:
    return sign_up()


@pytest.fixture
def erin(db: None) -> Agent:
    return sign_up(username="erin", email="erin@example.org")


@pytest.fixture
def coop(dana: Agent) -> Agent:
    return services.organisation_create(
        actor=dana, name="seed-coop", display_name="Seed Coop", kind="worker_coop"
    )


def test_organisation_create_makes_its_creator_admin(coop: Agent, dana: Agent) -> None:
    assert coop.is_organisation
    assert coop.user is None
    assert (coop.name, coop.display_name, coop.org_kind) == (
        "seed-coop",
        "Seed Coop",
        "worker_coop",
    )
    membership = Membership.objects.get(organisation=coop)
    assert (membership.person, membership.role) == (dana, Membership.Role.ADMIN)
    event = last_event()
    assert (event.kind, event.actor) == ("organisation.created", "dana")
    assert event.data == {"name": "seed-coop", "display_name": "Seed Coop", "kind": "worker_coop"}
    assert selectors.organisation_get("seed-coop") == coop
    assert list(selectors.organisations_of(dana)) == [coop]


@pytest.mark.parametrize(
    ("fields", "bad"),
    [
        ({"name": "Seed Coop"}, {"slug"}),
        ({"name": ""}, {"slug"}),
        ({"name": "x" * 41}, {"slug"}),
        ({"kind": "megacorp"}, {"kind"}),
        ({"kind": ""}, {"kind"}),
        ({"display_name": "x" * 201}, {"display_name"}),
        ({"name": "Bad!", "kind": "nope"}, {"slug", "kind"}),
    ],
)
def test_organisation_create_refuses_bad_input(
    snapshot: Snapshot, dana: Agent, fields: dict[str, str], bad: set[str]
) -> None:
    args = {"name": "coop", "display_name": "Coop", "kind": "cooperative", **fields}
    error = refused(snapshot, Invalid, lambda: services.organisation_create(actor=dana, **args))
    assert set(error.errors) == bad


@pytest.mark.parametrize("name", ["seed-coop", "dana"])
def test_organisation_name_must_be_free(
    snapshot: Snapshot, dana: Agent, coop: Agent, name: str
) -> None:
    error = refused(
        snapshot,
        Invalid,
        lambda: services.organisation_create(
            actor=dana, name=name, display_name="Again", kind="nonprofit"
        ),
    )
    assert set(error.errors) == {"slug"}


def test_admin_adds_a_member(coop: Agent, dana: Agent, erin: Agent) -> None:
    membership = services.membership_add(actor=dana, organisation=coop, person=erin)
    assert (membership.organisation, membership.person, membership.role) == (coop, erin, "member")
    assert selectors.is_member(erin, coop)
    event = last_event()
    assert (event.kind, event.actor) == ("organisation.member_added", "dana")
    assert event.data == {"organisation": "seed-coop", "person": "erin", "role": "member"}
    assert eventlog.verify().breaks == ()


def test_admin_adds_another_admin_who_can_then_add_members(
    coop: Agent, dana: Agent, erin: Agent, make_person: Callable[..., Agent]
) -> None:
    services.membership_add(actor=dana, organisation=coop, person=erin, role="admin")
    frank = make_person("frank")
    assert services.membership_add(actor=erin, organisation=coop, person=frank).role == "member"


def test_a_plain_member_cannot_add_members(
    snapshot: Snapshot, coop: Agent, dana: Agent, erin: Agent, make_person: Callable[..., Agent]
) -> None:
    services.membership_add(actor=dana, organisation=coop, person=erin)
    frank = make_person("frank")
    refused(
        snapshot,
        Forbidden,
        lambda: services.membership_add(actor=erin, organisation=coop, person=frank),
    )


def test_an_outsider_cannot_add_members_not_even_themself(
    snapshot: Snapshot, coop: Agent, erin: Agent
) -> None:
    refused(
        snapshot,
        Forbidden,
        lambda: services.membership_add(actor=erin, organisation=coop, person=erin),
    )


def test_admin_of_another_organisation_cannot_add_members(
    snapshot: Snapshot, coop: Agent, erin: Agent, make_person: Callable[..., Agent]
) -> None:
    services.organisation_create(actor=erin, name="other", display_name="Other", kind="nonprofit")
    frank = make_person("frank")
    refused(
        snapshot,
        Forbidden,
        lambda: services.membership_add(actor=erin, organisation=coop, person=frank),
    )


def test_duplicate_membership_is_a_conflict(
    snapshot: Snapshot, coop: Agent, dana: Agent, erin: Agent
) -> None:
    services.membership_add(actor=dana, organisation=coop, person=erin)
    refused(
        snapshot,
        Conflict,
        lambda: services.membership_add(actor=dana, organisation=coop, person=erin),
    )
    refused(
        snapshot,
        Conflict,
        lambda: services.membership_add(actor=dana, organisation=coop, person=dana),
    )


def test_unknown_role_is_refused(snapshot: Snapshot, coop: Agent, dana: Agent, erin: Agent) -> None:
    error = refused(
        snapshot,
        Invalid,
        lambda: services.membership_add(actor=dana, organisation=coop, person=erin, role="owner"),
    )
    assert set(error.errors) == {"role"}


def test_an_organisation_cannot_be_a_member(snapshot: Snapshot, coop: Agent, dana: Agent) -> None:
    other = services.organisation_create(
        actor=dana, name="other", display_name="Other", kind="nonprofit"
    )
    error = refused(
        snapshot,
        Invalid,
        lambda: services.membership_add(actor=dana, organisation=coop, person=other),
    )
    assert set(error.errors) == {"username"}
