"""The labs API's URL map (DESIGN.md, "Public contract (v1)")."""
from __future__ import annotations

from aiohttp import web

from . import views


def setup_routes(app: web.Application) -> None:
    app.router.add_post("/v1/labs", views.register_lab)
    app.router.add_get("/v1/labs", views.list_labs)
    app.router.add_get("/v1/labs/{id}", views.get_lab)
    app.router.add_patch("/v1/labs/{id}", views.patch_lab)
    app.router.add_put("/v1/labs/{id}/capacity", views.put_capacity)
    app.router.add_post("/v1/labs/{id}/heartbeat", views.heartbeat)
    app.router.add_get("/v1/offers", views.list_offers)
    app.router.add_post("/v1/offers/{id}/accept", views.accept_offer)
    app.router.add_post("/v1/offers/{id}/decline", views.decline_offer)
    app.router.add_post("/v1/jobs/{request_id}/events", views.job_event)
    app.router.add_get("/v1/methods", views.list_methods)
