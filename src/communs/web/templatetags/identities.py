"""The names (and, for the person themself, the emails) imported histories know an agent by."""

from __future__ import annotations

from typing import Any

from django import template

from communs.accounts.models import Agent
from communs.history.models import Alias
from communs.history.selectors import aliases_of

register = template.Library()


@register.simple_tag(takes_context=True)
def aliases_for(context: dict[str, Any], agent: Agent) -> list[Alias]:
    """`{% aliases_for agent as aliases %}`: emails only when the visitor is that agent."""
    user = context.get("user")
    own = bool(user and user.is_authenticated and agent.user_id == user.pk)
    return aliases_of(agent, viewer=agent if own else None)
