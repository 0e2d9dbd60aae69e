"""The booking API's URL map (DESIGN.md, "Public contract (v1)"), documented as registered."""
from __future__ import annotations

from aiohttp import web

from schemas.booking_api import (CancelBody, ExportQuery, ListQuery, QueueView, RegionMap, RegionMapQuery, RegionQuery, RequestPage,
                                 ReportQuery, RequestView, SubmitRequest, UnmetDemand)
from schemas.insight_api import HORIZON_DAYS, CapacityGaps, FlowQuery, LabsInsight, QueueFlow
from schemas.values import REQUEST_READERS, STAFF_ROLES, Role
from services.common import idempotency
from services.common.auth import SESSION_COOKIE
from services.common.openapi import ApiSpec, Operation, spec_routes

from . import dashboard, session, views
from .settings import BookingSettings


def setup_routes(app: web.Application, settings: BookingSettings | None = None) -> ApiSpec:
    spec = ApiSpec("labbook booking API", "1", "Suppliers' test requests and the staff queue.")
    add = lambda handler, **op: spec.route(app, handler, Operation(**op))  # noqa: E731
    add(views.submit_request, method="POST", path="/v1/requests", summary="Submit a test request",
        roles=(Role.SUPPLIER,), request=SubmitRequest, response=RequestView, status=201, errors=(400, 404),
        headers=idempotency.HEADER,
        tag="requests")
    add(views.list_requests, method="GET", path="/v1/requests", summary="List requests (suppliers: their own)",
        roles=REQUEST_READERS, query=ListQuery, response=RequestPage, errors=(400, 404), tag="requests")
    add(views.get_request, method="GET", path="/v1/requests/{id}", summary="One request with its history",
        roles=REQUEST_READERS, response=RequestView, tag="requests")
    add(views.cancel_request, method="POST", path="/v1/requests/{id}/cancel",
        summary="Cancel a request (before testing starts)", roles=REQUEST_READERS, request=CancelBody,
        response=RequestView, errors=(400, 404, 409), tag="requests",
        description="The body is optional.")
    _staff_routes(add)
    _insight_routes(add)
    add(views.events, method="GET", path="/v1/events", summary="Live status changes (server-sent events)",
        roles=REQUEST_READERS, media_type="text/event-stream", tag="staff", errors=(400,),
        description="Each event: `id: <feed id>`, `event: StatusChanged`, `data:` the StatusChanged JSON,"
                    " in the order booking stored them; every API replica streams every change. Suppliers"
                    " get their organisation's only. Reconnect with the `Last-Event-ID` header (or"
                    " `?last_event_id=`) to get the changes stored after that id first (up to 1,000;"
                    " beyond that, GET the requests). A comment line every 15 s keeps the connection open.")
    if settings is not None and settings.bench_hello:
        app.router.add_get("/bench/hello", views.hello)
    spec_routes(app, spec)
    # The staff page: the sign-in form, or signed in the dashboard (session.py: a cookie, never a URL).
    app.router.add_get("/dashboard", dashboard.dashboard)
    app.router.add_get("/dashboard/localisation", dashboard.localisation)
    app.router.add_post("/dashboard/login", dashboard.login)
    app.router.add_post("/dashboard/logout", dashboard.logout)
    app[SESSION_COOKIE] = session.COOKIE  # the API's GETs take the dashboard's session too
    return spec


def _staff_routes(add) -> None:
    add(views.queue, method="GET", path="/v1/queue", summary="Queue counts by status, method and region",
        roles=STAFF_ROLES, response=QueueView, tag="staff")
    add(views.unmet_demand, method="GET", path="/v1/unmet-demand",
        summary="UNMATCHED requests grouped by method, region and reason", roles=STAFF_ROLES,
        response=UnmetDemand, tag="staff")
    add(views.regions, method="GET", path="/v1/insight/regions",
        summary="Demand, placed and unmet requests per region they ship from", roles=STAFF_ROLES,
        query=RegionQuery, response=RegionMap, tag="staff")
    add(views.flow, method="GET", path="/v1/insight/flow",
        summary="The live queue's flow: backlog ages, throughput per day, lead times, offers waiting",
        roles=STAFF_ROLES, query=FlowQuery, response=QueueFlow, errors=(400, 404), tag="staff",
        description="Backlog: requests open with no lab committed (SUBMITTED, MATCHING, UNMATCHED, OFFERED) "
                    "by age since submission. Throughput: per UTC day of the last `days`, requests submitted, "
                    "first ACCEPTED, REPORT_ISSUED and CANCELLED. Lead times: per method, over requests "
                    "submitted in those days, hours to the first OFFERED and the first ACCEPTED (p50, p90). "
                    "Offers waiting: requests OFFERED now, per lab, with the oldest offer's age.")
    add(views.export, method="GET", path="/v1/insight/export", summary="A staff table as a CSV or XLSX file",
        roles=STAFF_ROLES, query=ExportQuery, media_type="text/csv", tag="staff",
        description="`table`: `queue` (requests by status), `unmet-demand` (UNMATCHED by method, region and "
                    "reason) or `regions` (requested, placed, unmet per region, `method_code` to narrow), "
                    "`capacity-gaps` (each method's best addition opened in each coming month); "
                    "`format=xlsx` answers a spreadsheet (`application/vnd.openxmlformats-officedocument."
                    "spreadsheetml.sheet`). CSV is UTF-8 with a byte-order mark; names in `lang`.")


def _insight_routes(add) -> None:
    """What staff take to a meeting: the localisation case, the map, the report, the labs."""
    add(views.capacity_gaps, method="GET", path="/v1/insight/capacity-gaps",
        summary="The localisation case: which added slots, where and from when, would place how many more",
        roles=STAFF_ROLES, response=CapacityGaps, tag="staff",
        description="For each method with waiting requests the scheduler's planner cannot place within deadline: "
                    "the planner run on the current queue and the labs' supply with slots added in a region "
                    "(where the unplaced requests ship from, where the method's labs are), the best addition "
                    "and the same addition opened in each coming month. Kept until the queue or supply moves "
                    "(or `BOOKING_CAPACITY_GAPS_MAX_AGE_S`); 503 `supply_loading` right after start.")
    add(views.region_map, method="GET", path="/v1/insight/regions.svg",
        summary="The same figures on a map of Russia, Belarus and Uzbekistan (SVG)", roles=STAFF_ROLES,
        query=RegionMapQuery, media_type="image/svg+xml", tag="staff",
        description="Every region a dot; a region with requests a circle whose area is its demand, the unmet "
                    "part red inside it, linked to `?region=CODE`. Server-side SVG, no tiles: works offline.")
    add(views.report_pdf, method="GET", path="/v1/insight/report.pdf",
        summary="The localisation case on one A4 page (PDF)", roles=STAFF_ROLES, query=ReportQuery,
        media_type="application/pdf", tag="staff",
        description="Headline figures (waiting, unmatched, placed, unplaced by the planner, placed more by its "
                    "suggestions), the region map, the methods and regions with most unmet demand and the "
                    "capacity what-if, in `lang`. Answered as an attachment, "
                    "`labbook-localisation-YYYY-MM-DD-<lang>.pdf`.")
    add(views.labs, method="GET", path="/v1/insight/labs",
        summary="Labs: utilisation per method, accreditations running out, silent agents", roles=STAFF_ROLES,
        response=LabsInsight, tag="staff",
        description=f"From the labs' supply (labs.v1, capacity.v1) and the requests labs hold (OFFERED to "
                    f"IN_TESTING): per lab and method the slot-hours advertised and the hours held over the "
                    f"next {HORIZON_DAYS} days; accreditations valid for at most {HORIZON_DAYS} more days with "
                    f"the work held and how much of it ends after them; labs whose agent has been silent "
                    f"longer than the scheduler's liveness window. 503 `supply_loading` right after start.")
