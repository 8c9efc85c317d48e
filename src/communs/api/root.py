from ninja import NinjaAPI

api = NinjaAPI(title="Communs", version="1")
