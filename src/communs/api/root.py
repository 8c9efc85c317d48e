"""The JSON API, mounted at /api/v1/ (OpenAPI at /api/v1/openapi.json, docs at /api/v1/docs)."""

from ninja import NinjaAPI

from . import accounts, commons, events, problems

api = NinjaAPI(
    title="Communs",
    version="1",
    description="Commons, permissionless contributions, a-posteriori validation, forks and the "
    "public hash-chained log. Authenticate writes with `Authorization: Bearer <token>` "
    "(POST /api/v1/tokens). Errors are application/problem+json.",
    urls_namespace="api",
)
problems.install(api)
api.add_router("", accounts.router)
api.add_router("", commons.router)
api.add_router("", events.router)
api.add_router("", "communs.api.ledger.router")
api.add_router("", "communs.api.licensing.router")
api.add_router("", "communs.api.history.router")
api.add_router("", "communs.api.history_claims.router")
api.add_router("", "communs.api.governance.router")
