"""Reads of commons and contributions: lookups that cannot match, filters, lineage, `can_review`."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from communs.accounts.models import Agent
from communs.commons import selectors, services
from communs.commons.models import Commons
from communs.domain.errors import Invalid, NotFound

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("slug", ["a\x00b", "Seed-Library", "-x", "x" * 51, "", "a/b", "é"])
def test_impossible_slug_is_not_found_without_a_query(
    seed_library: Commons, slug: str, django_assert_num_queries
) -> None:
    with django_assert_num_queries(0), pytest.raises(NotFound):
        selectors.commons_get(slug)


@pytest.mark.parametrize(
    ("filters", "field"),
    [({"query": "a\x00b"}, "q"), ({"kind": "a\x00b"}, "kind"), ({"kind": "music"}, "kind")],
)
def test_bad_commons_filters_are_invalid(
    seed_library: Commons, filters: dict[str, str], field: str
) -> None:
    with pytest.raises(Invalid) as caught:
        selectors.commons_list(**filters)
    assert set(caught.value.errors) == {field}


def test_commons_page_filters_and_pages(alice: Agent, seed_library: Commons) -> None:
    for n in range(3):
        services.commons_create(actor=alice, slug=f"tool-{n}", title=f"Tool {n}", kind="design")
    page = selectors.commons_page(kind="design", limit=2)
    assert [c.slug for c in page.items] == ["tool-2", "tool-1"]
    rest = selectors.commons_page(kind="design", limit=2, cursor=page.next)
    assert ([c.slug for c in rest.items], rest.next) == (["tool-0"], None)
    assert [c.slug for c in selectors.commons_page(query="seed").items] == ["seed-library"]


def test_contributor_filter_with_nul_is_invalid(seed_library: Commons) -> None:
    with pytest.raises(Invalid) as caught:
        selectors.contribution_list(seed_library, contributor="bob\x00")
    assert set(caught.value.errors) == {"contributor"}


# -- lineage ------------------------------------------------------------------------------------


def fork_chain(seed_library: Commons, bob: Agent, length: int) -> list[Commons]:
    chain = [seed_library]
    for n in range(length):
        chain.append(services.commons_fork(actor=bob, parent=chain[-1], slug=f"gen-{n}"))
    return chain


def test_short_lineage_is_whole(seed_library: Commons, bob: Agent) -> None:
    chain = fork_chain(seed_library, bob, 2)
    lineage = selectors.lineage(chain[-1])
    assert lineage == [chain[1], seed_library]
    assert not selectors.lineage_truncated(lineage)
    assert [a.commons for a in selectors.credited_ancestors(lineage)] == lineage
    assert selectors.lineage(seed_library) == []
    assert not selectors.lineage_truncated([])


def test_lineage_is_cut_at_max_lineage_and_says_so(seed_library: Commons, bob: Agent) -> None:
    chain = fork_chain(seed_library, bob, selectors.MAX_LINEAGE)
    # The newest has exactly MAX_LINEAGE ancestors: whole.
    whole = selectors.lineage(chain[-1])
    assert len(whole) == selectors.MAX_LINEAGE
    assert whole[-1] == seed_library
    assert not selectors.lineage_truncated(whole)
    # One more generation: the seed library no longer fits.
    newest = services.commons_fork(actor=bob, parent=chain[-1], slug="one-more")
    cut = selectors.lineage(newest)
    assert len(cut) == selectors.MAX_LINEAGE
    assert seed_library not in cut
    assert selectors.lineage_truncated(cut)


# -- can_review mirrors the validation rule -----------------------------------------------------


def test_can_review_follows_the_rule(
    alice: Agent, bob: Agent, carol: Agent, seed_library: Commons
) -> None:
    row = services.contribution_submit(
        actor=bob, commons=seed_library, action="work", quantity="1", description="Weeding"
    )
    row = selectors.contribution_get(row.pk)
    assert selectors.can_review(alice, row)
    assert not selectors.can_review(None, row)
    assert not selectors.can_review(bob, row)  # their own
    assert not selectors.can_review(carol, row)  # not a maintainer here
    services.contribution_reject(actor=alice, contribution=row, reason="Duplicate")
    assert not selectors.can_review(alice, selectors.contribution_get(row.pk))


def test_can_review_is_false_after_my_approval(
    alice: Agent, bob: Agent, make_person: Callable[..., Agent], seed_library: Commons
) -> None:
    dave = make_person("dave")
    services.maintainer_add(actor=alice, commons=seed_library, agent=dave)
    services.settings_update(actor=alice, commons=seed_library, approvals_required=2)
    row = services.contribution_submit(
        actor=bob, commons=seed_library, action="work", quantity="1", description="Weeding"
    )
    services.contribution_accept(actor=alice, contribution=row)
    row = selectors.contribution_get(row.pk)
    assert row.status == "submitted"
    assert not selectors.can_review(alice, row)  # the page would offer a button answering 409
    assert selectors.can_review(dave, row)
