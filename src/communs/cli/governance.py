"""Peer governance from the shell: the rulebook, proposals and votes, and the daily job that
closes due proposals, opens review proposals, nominates maintainers and retires inactive ones.

Django is imported inside the commands: `main` parses the arguments before setting Django up.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date
from typing import Any

from communs.domain.errors import Invalid


def cmd_rulebook(args: argparse.Namespace) -> int:
    from communs.commons import selectors
    from communs.domain import rulebook

    commons = selectors.commons_get(args.slug)
    if args.diff:
        old, new = (selectors.rulebook_version(commons, n) for n in args.diff)
        changed = rulebook.diff(old.rules, new.rules)
        print(f"{commons.slug}: rulebook v{old.version} → v{new.version}")
        for name, before, after in changed:
            print(f"  {name}: {_show(before)} → {_show(after)}")
        if not changed:
            print("  (no difference)")
        return 0
    book = (
        selectors.rulebook_version(commons, args.version)
        if args.version
        else selectors.rulebook_current(commons)
    )
    if args.json:
        print(json.dumps({"version": book.version, "rules": book.rules.to_data()}, indent=2))
        return 0
    print(f"{commons.slug}: rulebook v{book.version} — {book.row.note}")
    data = book.rules.to_data()
    width = max(len(name) for name in data)
    for name, value in data.items():
        print(f"  {name:<{width}}  {_show(value)}")
    print("History:")
    for row in selectors.rulebook_versions(commons):
        how = f"proposal #{row.proposal}" if row.proposal else (row.created_by or "founding")
        print(f"  v{row.version}  {row.created_at:%Y-%m-%d}  {row.note}  ({how})")
    return 0


def _show(value: object) -> str:
    if isinstance(value, list):
        return ", ".join(map(str, value)) or "—"
    return "—" if value is None else str(value)


def cmd_proposal_list(args: argparse.Namespace) -> int:
    from communs.commons.selectors import commons_get
    from communs.governance import selectors

    page = selectors.proposals(commons_get(args.slug), status=args.status or "", limit=200)
    for p in page.items:
        print(f"#{p.pk}  {p.status:<9} {p.method:<15} {p.title}")
    if not page.items:
        print("No proposals.")
    return 0


def cmd_proposal_show(args: argparse.Namespace) -> int:
    from communs.core import clock
    from communs.governance import selectors

    proposal = selectors.proposal_get(args.id)
    change = selectors.change_of(proposal)
    who = proposal.proposer.name if proposal.proposer else f"the {proposal.origin} job"
    print(f"#{proposal.pk} {proposal.title}  [{proposal.status}, {proposal.method}]")
    print(f"  opened by {who} on {proposal.created_at:%Y-%m-%d %H:%M}; round {proposal.round}")
    print(f"  period ends {proposal.closes_at:%Y-%m-%d %H:%M} UTC")
    if change:
        print(f"  change: {change.summary()}")
    if proposal.status == proposal.Status.OPEN:
        standing = selectors.standing(proposal, clock.now())
        print(f"  now: {standing.decision.status} — {standing.decision.reason}")
    else:
        print(f"  outcome: {proposal.outcome}")
    if proposal.applied:
        print(f"  applied: {json.dumps(proposal.applied)}")
    for vote in selectors.votes(proposal):
        withdrawn = " (withdrawn)" if vote.withdrawn else ""
        reason = f": {vote.reason}" if vote.reason else ""
        print(f"  round {vote.round}  {vote.voter.name} {vote.position}{withdrawn}{reason}")
    return 0


def cmd_proposal_open(args: argparse.Namespace) -> int:
    from communs.accounts.selectors import agent_get
    from communs.commons.selectors import commons_get
    from communs.governance import services

    proposal = services.proposal_open(
        actor=agent_get(args.as_),
        commons=commons_get(args.slug),
        title=args.title,
        text=args.text,
        method=args.method,
        change=_change(args.change),
        review_on=_date(args.review_on),
    )
    print(f"Opened proposal #{proposal.pk} ({proposal.method}), open until "
          f"{proposal.closes_at:%Y-%m-%d %H:%M} UTC.")  # fmt: skip
    return 0


def _change(raw: str | None) -> Any:
    if raw is None:
        return None
    try:
        return json.loads(raw)
    except json.JSONDecodeError as error:
        raise Invalid.field("change", f"Not JSON: {error.msg} at {error.pos}.") from None


def _date(raw: str | None) -> date | None:
    if raw is None:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise Invalid.field("review_on", "A date such as 2027-06-30.") from None


def cmd_proposal_vote(args: argparse.Namespace) -> int:
    from communs.accounts.selectors import agent_get
    from communs.governance import selectors, services

    proposal = services.vote_cast(
        actor=agent_get(args.as_),
        proposal=selectors.proposal_get(args.id),
        position=args.position,
        reason=args.reason or "",
    )
    print(f"Voted {args.position} on #{proposal.pk}; it is {proposal.status}.")
    return 0


def cmd_proposal_close(args: argparse.Namespace) -> int:
    from communs.governance import selectors, services

    proposal = services.proposal_close(proposal=selectors.proposal_get(args.id))
    print(f"#{proposal.pk} is {proposal.status}: {proposal.outcome or 'its period runs on.'}")
    return 0


def cmd_merit(args: argparse.Namespace) -> int:
    from communs.commons.selectors import commons_get
    from communs.governance import services

    report = services.merit_run(commons=commons_get(args.slug))
    _print_merit(report.nominations, report.emeriti)
    return 0


def _print_merit(nominations: list[int], emeriti: list[str]) -> None:
    print(f"Nominations opened: {', '.join(f'#{n}' for n in nominations) or 'none'}.")
    print(f"Became emeritus: {', '.join(emeriti) or 'nobody'}.")


def cmd_tick(args: argparse.Namespace) -> int:
    from communs.commons.selectors import commons_get
    from communs.governance import services

    report = services.governance_tick(commons=commons_get(args.commons) if args.commons else None)
    print(f"Proposals decided: {', '.join(f'#{n}' for n in report.closed) or 'none'}.")
    print(f"Reviews opened: {', '.join(f'#{n}' for n in report.reviews_opened) or 'none'}.")
    _print_merit(report.nominations, report.emeriti)
    if report.failures:
        print(f"communs: failed (see the log): {', '.join(report.failures)}", file=sys.stderr)
        return 1
    return 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    def command(
        on: argparse._SubParsersAction[argparse.ArgumentParser], name: str, func: Any, help_: str
    ) -> argparse.ArgumentParser:
        p = on.add_parser(name, help=help_, description=help_)
        p.set_defaults(func=func)
        return p

    rulebook = command(sub, "rulebook", cmd_rulebook, "a commons' rules, their history and diffs")
    rulebook.add_argument("slug", metavar="SLUG")
    rulebook.add_argument("--version", type=int, metavar="N", help="an earlier version")
    rulebook.add_argument("--diff", type=int, nargs=2, metavar=("N", "M"), help="v N → v M")
    rulebook.add_argument("--json", action="store_true")

    proposal = sub.add_parser("proposal", help="proposals and votes").add_subparsers(
        dest="action", required=True
    )
    listing = command(proposal, "list", cmd_proposal_list, "a commons' proposals, newest first")
    listing.add_argument("slug", metavar="SLUG")
    listing.add_argument("--status", choices=["open", "passed", "failed", "withdrawn"])
    show = command(proposal, "show", cmd_proposal_show, "one proposal, its votes and standing")
    show.add_argument("id", type=int, metavar="ID")
    opening = command(proposal, "open", cmd_proposal_open, "open a proposal")
    opening.add_argument("slug", metavar="SLUG")
    opening.add_argument("--as", dest="as_", required=True, metavar="USERNAME")
    opening.add_argument("--title", required=True)
    opening.add_argument("--text", required=True)
    opening.add_argument("--method", help="default: the rulebook's")
    opening.add_argument("--change", metavar="JSON", help='e.g. {"type": "add_maintainer", …}')
    opening.add_argument("--review-on", metavar="YYYY-MM-DD")
    vote = command(proposal, "vote", cmd_proposal_vote, "vote on a proposal")
    vote.add_argument("id", type=int, metavar="ID")
    vote.add_argument("position", help="agree, object, block, stand_aside, yes, no, abstain")
    vote.add_argument("--as", dest="as_", required=True, metavar="USERNAME")
    vote.add_argument("--reason", help="required for an objection or a block")
    close = command(proposal, "close", cmd_proposal_close, "decide a proposal whose period ended")
    close.add_argument("id", type=int, metavar="ID")

    merit = command(
        sub, "merit", cmd_merit, "nominate who meets the promotion criteria; retire the inactive"
    )
    merit.add_argument("slug", metavar="SLUG")
    governance = sub.add_parser("governance", help="the daily governance job").add_subparsers(
        dest="action", required=True
    )
    tick = command(
        governance,
        "tick",
        cmd_tick,
        "close due proposals, open reviews, nominate and retire maintainers (run daily)",
    )
    tick.add_argument("--commons", metavar="SLUG", help="only this commons")
