"""The `communs` command. Parses arguments, calls one service or selector, prints the result.

Exit status: 0 on success, 1 on a user error (one line on stderr), 2 on a usage error.
"""

from __future__ import annotations

import argparse
import getpass
import json
import os
import secrets
import sys
from collections.abc import Callable, Sequence

from communs.cli import governance, history, ledger
from communs.domain import health

DEFAULT_SETTINGS = "communs.config.settings.dev"


def _setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", DEFAULT_SETTINGS)
    import django

    django.setup()


def cmd_migrate(args: argparse.Namespace) -> int:
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=1 if args.verbose else 0)
    print("Database is up to date.")
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    from django.core.management import call_command

    port = args.port or os.environ.get("PORT", "8000")
    print(f"Communs is serving on http://{args.host}:{port}/  (Ctrl-C stops it)", flush=True)
    call_command("runserver", f"{args.host}:{port}", use_reloader=False)
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from communs.cli.demo import load_demo

    logins = load_demo()
    print("Demo community loaded. Log in as any of:")
    width = max(len(login.username) for login in logins)
    for login in logins:
        print(f"  {login.username:<{width}}  password: {login.password}  ({login.role})")
    return 0


def cmd_user_create(args: argparse.Namespace) -> int:
    from communs.accounts.services import user_create

    password = args.password
    generated = False
    if password is None:
        if sys.stdin.isatty():
            password = getpass.getpass(f"Password for {args.name}: ")
        else:
            password = secrets.token_urlsafe(12)
            generated = True
    agent = user_create(username=args.name, email=args.email, password=password)
    print(f"Created user {agent.name}." + (f" Password: {password}" if generated else ""))
    return 0


def cmd_token_create(args: argparse.Namespace) -> int:
    from communs.accounts.selectors import agent_get
    from communs.accounts.services import token_create
    from communs.domain.errors import Invalid

    agent = agent_get(args.name)
    if agent.user is None:
        raise Invalid.field("name", f"{agent.name} is an organisation; tokens belong to persons.")
    print(token_create(user=agent.user, label=args.label))
    return 0


def cmd_log_verify(args: argparse.Namespace) -> int:
    from communs.core import eventlog

    result = eventlog.verify(args.stream)
    if result.ok:
        print(f"OK: {result.streams} stream(s) verified, every hash matches.")
        return 0
    for found in result.breaks:
        print(
            f"BROKEN: stream {found.stream}, event {found.event_id} (seq {found.seq}): "
            f"{found.reason}",
            file=sys.stderr,
        )
    return 1


def _report_text(title: str, slug: str, report: health.Report) -> str:
    """The health report as text for a terminal: the same figures as the API's."""
    if report.empty:
        return (
            f"No commits have been imported into {slug} yet: its health report is empty.\n"
            f"Import a history with: communs ingest git PATH --commons {slug} --as MAINTAINER"
        )
    first, last = (f"{d:%Y-%m-%d}" if d else "?" for d in (report.first_commit, report.last_commit))
    missing = report.without_lines
    lines = [
        f"Health report of {title} ({slug})",
        f"{report.commits:,} commit(s) by {report.contributors:,} contributor(s), {first} to "
        f"{last}; +{report.added:,} -{report.removed:,} lines"
        + (f" ({missing:,} commit(s) without line counts)." if missing else "."),
        "Every figure counts commits by their author.",
        "",
        "Who pays for the work (by the author's address and the commons' affiliations):",
        f"  {'':<10} {'commits':>9} {'%':>6}  {'contributors':>12}",
    ]
    for share in report.funding:
        lines.append(
            f"  {share.funding.value:<10} {share.commits:>9,} {share.percent:>6}  "
            f"{share.contributors:>12,}"
        )
    if report.organisations:
        width = max(10, *(len(o.organisation) for o in report.organisations))
        lines += [
            "",
            "Organisations:",
            f"  {'':<{width}} {'commits':>9} {'%':>6}  {'contributors':>12}",
        ]
        for org in report.organisations:
            lines.append(
                f"  {org.organisation:<{width}} {org.commits:>9,} {org.percent:>6}  "
                f"{org.contributors:>12,}"
            )
    bus = report.bus_factor
    width = max(len(f"{c.display_name} ({c.name})") for c in report.top)
    lines += [
        "",
        f"Bus factor: {bus.people:,} — the fewest people who made half of the {bus.measure} "
        f"(they made {bus.percent} % of them).",
        "",
        "Top contributors, by commits:",
        f"  {'':>3} {'':<{width}} {'commits':>9} {'%':>6}  lines added, removed",
    ]
    for rank, c in enumerate(report.top, 1):
        lines.append(
            f"  {rank:>2}. {f'{c.display_name} ({c.name})':<{width}} {c.commits:>9,} "
            f"{c.percent:>6}  +{c.added:,} -{c.removed:,}"
        )
    lines += [
        "",
        "Contributors per month:",
        f"  {'month':<7}  {'commits':>9}  {'contributors':>12}  {'new':>5}  {'returning':>9}",
    ]
    for m in report.months:
        lines.append(
            f"  {m.month}  {m.commits:>9,}  {m.contributors:>12,}  {m.new:>5,}  {m.returning:>9,}"
        )
    return "\n".join(lines)


def cmd_report(args: argparse.Namespace) -> int:
    from communs.commons.selectors import commons_get
    from communs.history.selectors import report_get

    commons = commons_get(args.slug)
    report = report_get(commons)
    if args.json:
        print(
            json.dumps(health.as_data(report, commons=commons.slug), indent=2, ensure_ascii=False)
        )
    else:
        print(_report_text(commons.title, commons.slug, report))
    return 0


def cmd_claim_request(args: argparse.Namespace) -> int:
    from communs.accounts.selectors import agent_get
    from communs.history.services import CLAIM_VALIDITY, claim_request

    token = claim_request(claimant=agent_get(args.as_), email=args.email)
    hours = int(CLAIM_VALIDITY.total_seconds() // 3600)
    print(token)
    print(
        f"Send this token to {args.email.strip()} only: its owner confirms the claim with it "
        f"(web: /identities/claim/, API: POST /api/v1/identities/claims/confirm, or `communs "
        f"claim confirm`) within {hours} hours.",
        file=sys.stderr,
    )
    return 0


def cmd_claim_confirm(args: argparse.Namespace) -> int:
    from communs.accounts.selectors import agent_get
    from communs.history.services import claim_confirm

    result = claim_confirm(claimant=agent_get(args.as_), token=args.token)
    names = ", ".join(agent.name for agent in result.agents)
    print(
        f"{result.email} is now {args.as_}'s: merged {names} ({result.contributions:,} "
        f"contribution(s), {result.commits:,} commit(s), {result.aliases:,} alias(es); "
        f"{result.duplicates:,} duplicate credit(s) dropped)."
    )
    return 0


def cmd_manage(args: argparse.Namespace) -> int:
    from django.core.management import execute_from_command_line

    execute_from_command_line(["communs manage", *args.rest])
    return 0


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(
        prog="communs", description="Communs: commons-based peer production."
    )
    sub = root.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(
        name: str,
        func: Callable[[argparse.Namespace], int],
        help_: str,
        on: argparse._SubParsersAction[argparse.ArgumentParser] = sub,
    ) -> argparse.ArgumentParser:
        p = on.add_parser(name, help=help_, description=help_)
        p.set_defaults(func=func)
        return p

    serve = command("serve", cmd_serve, "serve the web UI and API")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", help="port (default: $PORT or 8000)")
    command("demo", cmd_demo, "load the demo community (idempotent) and print its logins")
    migrate = command("migrate", cmd_migrate, "create or update the database tables")
    migrate.add_argument("-v", "--verbose", action="store_true")

    user = sub.add_parser("user", help="manage users").add_subparsers(dest="action", required=True)
    create = command("create", cmd_user_create, "create a user account", user)
    create.add_argument("name")
    create.add_argument("--email", required=True)
    create.add_argument("--password", help="prompted for (or generated) when omitted")

    token = sub.add_parser("token", help="manage API tokens").add_subparsers(
        dest="action", required=True
    )
    token_create = command("create", cmd_token_create, "print a new API token for a user", token)
    token_create.add_argument("name")
    token_create.add_argument("--label", default="cli")

    log = sub.add_parser("log", help="the public event log").add_subparsers(
        dest="action", required=True
    )
    verify = command("verify", cmd_log_verify, "recompute every hash chain; exit 1 on a break", log)
    verify.add_argument("--stream", help="only this stream, e.g. instance or commons:SLUG")

    ledger.register(sub)  # distribute, export valueflows
    history.register(sub)  # ingest git
    governance.register(sub)  # rulebook, proposal, merit, governance tick
    report = command(
        "report", cmd_report, "the health report of a commons: who does the work, who pays for it"
    )
    report.add_argument("slug", help="the commons' slug")
    report.add_argument("--json", action="store_true", help="the API's JSON instead of text")
    claim = sub.add_parser(
        "claim", help="claim the identities of an email address in imported histories"
    ).add_subparsers(dest="action", required=True)
    claim_request = command(
        "request", cmd_claim_request, "print a token to send to the address' owner", claim
    )
    claim_request.add_argument("email", help="the address, as the history wrote it")
    claim_request.add_argument("--as", dest="as_", required=True, help="the claimant's username")
    claim_confirm = command(
        "confirm", cmd_claim_confirm, "merge the address' identities into the claimant's", claim
    )
    claim_confirm.add_argument("token")
    claim_confirm.add_argument("--as", dest="as_", required=True, help="the claimant's username")
    manage = command("manage", cmd_manage, "run a Django management command")
    manage.add_argument("rest", nargs=argparse.REMAINDER)
    return root


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    _setup()
    from communs.domain.errors import DomainError

    try:
        return int(args.func(args))
    except DomainError as exc:
        print(f"communs: {exc.detail}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
