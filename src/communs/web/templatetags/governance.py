"""Governance on pages whose views belong elsewhere (a commons, a contribution): their
discussion thread, and the labels of governance's codes."""

from __future__ import annotations

from typing import Any

from django import template

from communs.commons.models import Commons, Contribution
from communs.governance import selectors
from communs.governance.selectors import Message
from communs.web.governance_forms import GOVERNANCE_LABELS

register = template.Library()
MAX_INDENT = 8  # deeper replies line up with the eighth level, so narrow screens stay readable


@register.simple_tag
def discussion_of(commons: Commons, contribution: Contribution | None = None) -> list[Message]:
    """`{% discussion_of commons as thread %}`: a commons' (or a contribution's) messages,
    replies under what they answer, in one query."""
    return selectors.thread(commons, contribution=contribution)


@register.filter
def glabel(code: object, category: str) -> Any:
    """The translated label of a governance code: `{{ p.status|glabel:"proposal_status" }}`."""
    return GOVERNANCE_LABELS[category].get(str(code), code)


@register.filter
def indent(depth: object) -> str:
    """The left margin of a message at this depth of its thread."""
    level = min(int(str(depth)), MAX_INDENT) if str(depth).isdigit() else 0
    return f"{level * 1.5}rem"
