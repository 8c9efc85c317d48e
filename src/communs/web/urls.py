from django.contrib.auth.views import LogoutView
from django.urls import URLPattern, path

from . import (
    governance_views,
    history_views,
    identity_views,
    ledger_views,
    licence_views,
    views,
)

app_name = "web"
urlpatterns: list[URLPattern] = [
    path("", views.home, name="home"),
    path("accounts/signup/", views.signup, name="signup"),
    path("accounts/login/", views.LoginPage.as_view(), name="login"),
    path("accounts/logout/", LogoutView.as_view(), name="logout"),
    path("accounts/tokens/", views.tokens, name="tokens"),
    path("commons/new/", views.commons_create, name="commons_create"),
    path("commons/<str:slug>/", views.commons_detail, name="commons_detail"),
    path("commons/<str:slug>/contribute/", views.contribute, name="contribute"),
    path("commons/<str:slug>/fork/", views.fork, name="fork"),
    path("commons/<str:slug>/maintainers/", views.maintainer_add, name="maintainer_add"),
    path("commons/<str:slug>/settings/", views.commons_settings, name="settings"),
    path("commons/<str:slug>/events/", views.commons_events, name="commons_events"),
    path("commons/<str:slug>/report/", history_views.report, name="health_report"),
    path("events/", views.events, name="events"),
    path("events/verify/", views.events_verify, name="events_verify"),
    path("contributions/<int:pk>/", views.contribution_detail, name="contribution_detail"),
    path("contributions/<int:pk>/accept/", views.contribution_accept, name="contribution_accept"),
    path("contributions/<int:pk>/reject/", views.contribution_reject, name="contribution_reject"),
    path(
        "contributions/<int:pk>/withdraw/",
        views.contribution_withdraw,
        name="contribution_withdraw",
    ),
    path("review/", views.review_queue, name="review_queue"),
    path("agents/<str:name>/", views.agent_detail, name="agent_detail"),
    # identities met in imported histories, and who pays for the work
    path("identities/claim/", identity_views.claim, name="claim"),
    path("commons/<str:slug>/affiliations/", identity_views.affiliations, name="affiliations"),
    path(
        "commons/<str:slug>/affiliations/<int:pk>/remove/",
        identity_views.affiliation_remove,
        name="affiliation_remove",
    ),
    # the open value ledger
    path("commons/<str:slug>/treasury/", ledger_views.treasury, name="treasury"),
    path("commons/<str:slug>/incomes/", ledger_views.income_record, name="income_record"),
    path("commons/<str:slug>/treasurers/", ledger_views.treasurer_add, name="treasurer_add"),
    path("commons/<str:slug>/expenses/new/", ledger_views.expense_create, name="expense_create"),
    path("commons/<str:slug>/value-equation/", ledger_views.value_equation, name="value_equation"),
    path(
        "commons/<str:slug>/value-equation/preview/",
        ledger_views.equation_preview,
        name="equation_preview",
    ),
    path(
        "commons/<str:slug>/value-equation/adopt/",
        ledger_views.equation_adopt,
        name="equation_adopt",
    ),
    path(
        "incomes/<int:pk>/distribute/",
        ledger_views.distribution_preview,
        name="distribution_preview",
    ),
    path("distributions/<int:pk>/", ledger_views.distribution_detail, name="distribution_detail"),
    path("expenses/<int:pk>/", ledger_views.expense_detail, name="expense_detail"),
    path("expenses/<int:pk>/approve/", ledger_views.expense_approve, name="expense_approve"),
    path("expenses/<int:pk>/reject/", ledger_views.expense_reject, name="expense_reject"),
    path("expenses/<int:pk>/pay/", ledger_views.expense_pay, name="expense_pay"),
    path("agents/<str:name>/wallet/", ledger_views.wallet, name="wallet"),
    # licences and reciprocity
    path("commons/<str:slug>/licence/", licence_views.licence, name="licence"),
    path("commons/<str:slug>/licence/adopt/", licence_views.profile_adopt, name="profile_adopt"),
    path("commons/<str:slug>/licence/ask/", licence_views.usage_ask, name="usage_ask"),
    path("commons/<str:slug>/licence/badge.svg", licence_views.badge, name="licence_badge"),
    path("commons/<str:slug>/licences/new/", licence_views.grant_new, name="grant_new"),
    path("usage-requests/<int:pk>/", licence_views.evaluation_detail, name="evaluation_detail"),
    path("licences/<uuid:grant_id>/", licence_views.grant_detail, name="grant_detail"),
    path("licences/<uuid:grant_id>/revoke/", licence_views.grant_revoke, name="grant_revoke"),
    path("agents/<str:name>/evidence/", licence_views.evidence_declare, name="evidence_declare"),
    path(
        "agents/<str:name>/evidence/verify/",
        licence_views.evidence_verify,
        name="evidence_verify",
    ),
    # peer governance
    path("commons/<str:slug>/rulebook/", governance_views.rulebook, name="rulebook"),
    path(
        "commons/<str:slug>/maintainers/return/",
        governance_views.maintainer_return,
        name="maintainer_return",
    ),
    path("commons/<str:slug>/proposals/", governance_views.proposals, name="proposals"),
    path("commons/<str:slug>/proposals/new/", governance_views.proposal_new, name="proposal_new"),
    path(
        "commons/<str:slug>/working-groups/",
        governance_views.working_groups,
        name="working_groups",
    ),
    path(
        "commons/<str:slug>/discussion/",
        governance_views.commons_discussion,
        name="commons_discussion",
    ),
    path(
        "contributions/<int:pk>/discussion/",
        governance_views.contribution_discussion,
        name="contribution_discussion",
    ),
    path("proposals/<int:pk>/", governance_views.proposal_detail, name="proposal_detail"),
    path("proposals/<int:pk>/vote/", governance_views.proposal_vote, name="proposal_vote"),
    path(
        "proposals/<int:pk>/withdraw-objection/",
        governance_views.objection_withdraw,
        name="objection_withdraw",
    ),
    path("proposals/<int:pk>/amend/", governance_views.proposal_amend, name="proposal_amend"),
    path(
        "proposals/<int:pk>/second-round/",
        governance_views.proposal_second_round,
        name="proposal_second_round",
    ),
    path(
        "proposals/<int:pk>/withdraw/", governance_views.proposal_withdraw, name="proposal_withdraw"
    ),
    path("proposals/<int:pk>/close/", governance_views.proposal_close, name="proposal_close"),
    path(
        "proposals/<int:pk>/discussion/",
        governance_views.proposal_comment,
        name="proposal_comment",
    ),
]
