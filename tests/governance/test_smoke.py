from __future__ import annotations

from communs.governance import selectors, services
from communs.ledger import selectors as ledger_selectors

from .conftest import EQUATION, Clock, Community


def test_a_consent_proposal_adopts_an_equation(community: Community, frozen: Clock) -> None:
    bob, dave = community.contributors
    proposal = services.proposal_open(
        actor=bob,
        commons=community.commons,
        title="Pay hours at 30",
        text="Hours are worth more.",
        method="consent",
        change={"type": "adopt_equation", "equation": EQUATION},
    )
    assert proposal.status == "open"
    services.vote_cast(actor=dave, proposal=proposal, position="agree")
    frozen.advance(days=8)
    closed = services.proposal_close(proposal=proposal)
    assert closed.status == "passed", closed.outcome
    assert closed.applied == {"equation_version": 1}
    assert ledger_selectors.equation_current(community.commons).version == 1
    assert selectors.proposal_get(proposal.pk).status == "passed"
