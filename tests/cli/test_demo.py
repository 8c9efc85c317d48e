"""The demo community: built through the services, complete, and loaded only once."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.contrib.auth import authenticate

from communs.cli.demo import DEMO_PASSWORD, load_demo
from communs.commons import selectors
from communs.commons.models import Approval, Commons, Contribution
from communs.core import eventlog
from communs.core.models import Event, EventStream
from communs.domain.contributions import Action, Status, Stream

pytestmark = pytest.mark.django_db


def _row_counts() -> dict[str, int]:
    return {model._meta.label: model._default_manager.count() for model in apps.get_models()}


def test_loading_twice_creates_everything_once() -> None:
    first_logins = load_demo()
    after_first = _row_counts()
    events_first = Event.objects.count()
    heads_first = list(
        EventStream.objects.order_by("name").values_list("name", "length", "head_hash")
    )

    second_logins = load_demo()

    assert _row_counts() == after_first
    assert Event.objects.count() == events_first
    assert (
        list(EventStream.objects.order_by("name").values_list("name", "length", "head_hash"))
        == heads_first
    )
    assert second_logins == first_logins
    assert events_first > 50
    assert after_first["commons.Contribution"] >= 20


def test_logins_work_and_are_lowercase() -> None:
    logins = load_demo()
    assert 6 <= len(logins) <= 8
    assert len({login.username for login in logins}) == len(logins)
    for login in logins:
        assert login.username == login.username.lower()
        assert login.password == DEMO_PASSWORD
        assert login.role
        assert authenticate(username=login.username, password=login.password) is not None


def test_every_status_action_and_stream_is_present() -> None:
    load_demo()
    statuses = set(Contribution.objects.values_list("status", flat=True))
    assert statuses == {str(s) for s in Status}
    assert set(Contribution.objects.values_list("action", flat=True)) == {str(a) for a in Action}
    assert set(Contribution.objects.values_list("stream", flat=True)) == {str(s) for s in Stream}
    rejected = Contribution.objects.filter(status=Status.REJECTED)
    assert all(row.reason.strip() for row in rejected)
    assert Contribution.objects.filter(organisation__isnull=False).exists()
    # Dates are spread over the last months, not all "now".
    dates = sorted(Contribution.objects.values_list("occurred_at", flat=True))
    assert (dates[-1] - dates[0]).days >= 90


def test_organisations_of_every_kind_the_essay_needs() -> None:
    load_demo()
    kinds = set(
        apps.get_model("accounts", "Agent")
        .objects.filter(type="organisation")
        .values_list("org_kind", flat=True)
    )
    assert {"worker_coop", "for_profit", "nonprofit", "public_body"} <= kinds


def test_a_commons_needing_two_approvals_has_one_halfway() -> None:
    load_demo()
    strict = Commons.objects.get(approvals_required=2)
    halfway = [
        row
        for row in Contribution.objects.filter(commons=strict, status=Status.SUBMITTED)
        if Approval.objects.filter(contribution=row).count() == 1
    ]
    assert len(halfway) == 1


def test_the_fork_lists_its_parent_and_credits_its_contributors() -> None:
    load_demo()
    fork = Commons.objects.get(slug="open-tractor-hills")
    parent = Commons.objects.get(slug="open-tractor")
    assert fork.forked_from == parent
    assert fork.licence == "CERN-OHL-S-2.0"
    assert selectors.lineage(fork) == [parent]
    assert [c.upstream for c in selectors.upstreams(fork)] == [parent]
    (ancestor,) = selectors.credited_ancestors(fork)
    credited = {credit.agent.name for credit in ancestor.credits}
    accepted_in_parent = set(
        Contribution.objects.filter(commons=parent, status=Status.ACCEPTED).values_list(
            "contributor__name", flat=True
        )
    )
    assert credited == accepted_in_parent
    assert {"ada", "bruno", "emil", "fatou", "gus"} <= credited


def test_the_log_verifies_and_records_the_story() -> None:
    load_demo()
    assert eventlog.verify() == []
    kinds = {event.kind for event in Event.objects.all()}
    assert {
        "account.created",
        "organisation.created",
        "organisation.member_added",
        "commons.created",
        "commons.forked",
        "maintainer.added",
        "commons.settings_changed",
        "contribution.submitted",
        "contribution.approved",
        "contribution.accepted",
        "contribution.rejected",
        "contribution.withdrawn",
    } <= kinds
