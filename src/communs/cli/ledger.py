"""`communs distribute` and `communs export valueflows`: the open value ledger from the shell.

Django is imported inside the commands: `main` parses the arguments before setting Django up.
"""

from __future__ import annotations

import argparse
import sys

DEFAULT_BASE = "http://127.0.0.1:8000/api/v1/"


def cmd_distribute(args: argparse.Namespace) -> int:
    from communs.accounts.selectors import agent_get
    from communs.commons.selectors import commons_get
    from communs.domain.money import display
    from communs.ledger import selectors, services

    who = agent_get(args.as_)
    commons = commons_get(args.slug)
    income = selectors.income_get(args.income)
    run = services.distribution_run(actor=who, commons=commons, income=income, dry_run=args.dry_run)
    currency = income.currency
    what = (
        "Dry run (nothing written)"
        if run.distribution is None
        else f"Distribution #{run.distribution.pk}"
    )
    print(
        f"{what}: income #{income.pk} of {commons.slug}, {display(income.amount, currency)}, "
        f"value equation v{run.equation_version}"
    )
    payouts = run.result.payouts
    width = max((len(p.recipient) for p in payouts), default=0)
    for p in payouts:
        print(f"  {p.recipient:<{width}}  {display(p.amount, currency):>12}  {p.explanation}")
    paid = sum(p.amount for p in payouts)
    kept = f", {display(run.result.kept, currency)} kept" if run.result.kept else ""
    print(
        f"Total: {display(paid, currency)} to {len({p.recipient for p in payouts})} "
        f"recipient(s){kept}, of {display(income.amount, currency)}."
    )
    return 0


def cmd_export_valueflows(args: argparse.Namespace) -> int:
    from communs.commons.selectors import commons_get
    from communs.ledger import valueflows

    commons = commons_get(args.slug)
    for chunk in valueflows.document(commons, base=args.base):
        sys.stdout.write(chunk)
    sys.stdout.flush()
    return 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    help_ = "share an income out by the commons' value equation (try --dry-run first)"
    distribute = sub.add_parser("distribute", help=help_, description=help_)
    distribute.set_defaults(func=cmd_distribute)
    distribute.add_argument("slug", metavar="SLUG")
    distribute.add_argument("--income", type=int, required=True, metavar="ID")
    distribute.add_argument("--dry-run", action="store_true", help="compute, write nothing")
    distribute.add_argument(
        "--as", dest="as_", required=True, metavar="USERNAME", help="the treasurer acting"
    )

    export = sub.add_parser("export", help="export a commons' ledger").add_subparsers(
        dest="action", required=True
    )
    help_ = "print the commons' ledger as ValueFlows 1.0 JSON-LD"
    vf = export.add_parser("valueflows", help=help_, description=help_)
    vf.set_defaults(func=cmd_export_valueflows)
    vf.add_argument("slug", metavar="SLUG")
    vf.add_argument(
        "--base", default=DEFAULT_BASE, help=f"base of the identifiers (default {DEFAULT_BASE})"
    )
