"""HTTP views: parse and validate, call one service function.

Each route's roles (routes.py) are enforced before its view runs and before the
body is read, so a caller who may not use a route gets 401/404 whatever it sent
(DESIGN.md, "Public contract (v1)"); the view gets the verified caller as `who`.
"""
from __future__ import annotations

import asyncio

from aiohttp import web
from pydantic import ValidationError

from schemas.booking_api import (CancelBody, ExportQuery, ListQuery, RegionMapQuery, RegionQuery, ReportQuery,
                                 validate_submission)
from schemas.moments import today_utc
from schemas.events import StatusChanged
from schemas.insight_api import CapacityGaps, FlowQuery
from schemas.tokens import Principal
from schemas.values import STAFF_ROLES
from services.common import idempotency
from services.common.bodies import json_body
from services.common.db import PG_POOL
from services.common.errors import ApiError
from services.common.http import json_answer
from services.common.outbox import OUTBOX_RELAY
from services.common.settings import SETTINGS

from . import db, errors, service, staff
from .insight import capacity, exports, labs as lab_figures, regionmap, report
from .insight.pdfpage import FontMissing
from .domain import decode_cursor
from .feed import REPLAY_LIMIT, STATUS_FEED
from .sse import format_event, stream


async def submit_request(request: web.Request, who: Principal) -> web.Response:
    raw = await request.read()
    key = idempotency.key_of(request)
    pool = request.app[PG_POOL]
    if key is not None and (stored := await idempotency.replay(pool, service.SCHEMA, who.org, key, raw)) is not None:
        return web.json_response(stored[1], status=stored[0])
    body = _validated(lambda: validate_submission(json_body(raw)))
    status, answer = await service.submit(pool, who, body, key=key, raw=raw)
    request.app[OUTBOX_RELAY].wake()
    return web.json_response(answer, status=status)


async def get_request(request: web.Request, who: Principal) -> web.Response:
    return json_answer(await service.get(request.app[PG_POOL], who, request.match_info["id"]))


async def list_requests(request: web.Request, who: Principal) -> web.Response:
    query = _validated(lambda: ListQuery.model_validate(dict(request.query)))
    try:
        after = decode_cursor(query.cursor) if query.cursor else None
    except ValueError:
        raise errors.bad_query("invalid cursor; pass back the next_cursor of a previous page") from None
    result = await service.page(request.app[PG_POOL], who, status=query.status, method_code=query.method_code,
                                after=after, limit=query.limit)
    return json_answer(result)


async def cancel_request(request: web.Request, who: Principal) -> web.Response:
    raw = await request.read()
    body = _validated(lambda: CancelBody.model_validate(json_body(raw, empty_ok=True)))
    answer = await service.cancel(request.app[PG_POOL], who, request.match_info["id"], body.reason)
    request.app[OUTBOX_RELAY].wake()
    return json_answer(answer)


async def queue(request: web.Request, who: Principal) -> web.Response:
    return json_answer(await staff.queue(request.app[PG_POOL]))


async def unmet_demand(request: web.Request, who: Principal) -> web.Response:
    return json_answer(await staff.unmet_demand(request.app[PG_POOL]))


async def regions(request: web.Request, who: Principal) -> web.Response:
    query = _query(RegionQuery, request)
    return json_answer(await staff.regions(request.app[PG_POOL], query.method_code))


async def capacity_gaps(request: web.Request, who: Principal) -> web.Response:
    """The localisation case: what added capacity would place (insight/capacity.py)."""
    return json_answer(await capacity.capacity_gaps(request.app))


async def flow(request: web.Request, who: Principal) -> web.Response:
    query = _query(FlowQuery, request)
    return json_answer(await staff.flow(request.app[PG_POOL], query.days))


async def labs(request: web.Request, who: Principal) -> web.Response:
    """Utilisation, accreditations running out and silent agents (insight/labfigures.py)."""
    return json_answer(await lab_figures.labs(request.app))


async def region_map(request: web.Request, who: Principal) -> web.Response:
    query = _query(RegionMapQuery, request)
    found = await staff.regions(request.app[PG_POOL], query.method_code)
    return web.Response(text=regionmap.region_map(found.items, query.lang, query.region), content_type="image/svg+xml",
                        charset="utf-8", headers={"Cache-Control": "no-store"})


async def export(request: web.Request, who: Principal) -> web.Response:
    """A staff table as a CSV or XLSX file (insight/exports.py)."""
    query = _query(ExportQuery, request)
    pool, lang = request.app[PG_POOL], query.lang
    if query.table == "queue":
        table = exports.queue_table(await staff.queue(pool), lang)
    elif query.table == "unmet-demand":
        table = exports.unmet_table(await staff.unmet_demand(pool), lang)
    elif query.table == "capacity-gaps":
        table = exports.gaps_table(await capacity.capacity_gaps(request.app), lang)
    else:
        table = exports.regions_table(await staff.regions(pool, query.method_code), lang)
    name = f"labbook-{query.table}-{today_utc().isoformat()}.{query.format}"
    body = exports.to_csv(table) if query.format == "csv" else exports.to_xlsx(table, query.table)
    return web.Response(body=body, content_type=exports.MEDIA_TYPES[query.format], headers={
        "Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"})


async def report_pdf(request: web.Request, who: Principal) -> web.Response:
    """The localisation case on one A4 page (insight/report.py), as a file to take away."""
    query = _query(ReportQuery, request)
    pool, lang, today = request.app[PG_POOL], query.lang, today_utc()
    found = await staff.regions(pool, None)
    inputs = (await staff.queue(pool), await staff.unmet_demand(pool), found, await _capacity_gaps(request),
              regionmap.region_map(found.items, lang), lang, today)
    # Drawing the page takes the CPU for a few tenths of a second (fonts, the map): off the event loop.
    try:
        body = await asyncio.get_running_loop().run_in_executor(None, report.localisation_report, *inputs)
    except FontMissing as exc:  # the server's set-up, not the caller's doing: say what to install
        raise ApiError(503, "report_font_missing", str(exc)) from None
    name = f"labbook-localisation-{today.isoformat()}-{lang}.pdf"
    return web.Response(body=body, content_type="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"})


async def _capacity_gaps(request: web.Request) -> CapacityGaps | None:
    """The planner's capacity what-if for the report; None (the report says "not computed
    yet") while the labs' supply is still being read, right after start."""
    try:
        return await capacity.capacity_gaps(request.app)
    except ApiError as exc:
        if exc.code != "supply_loading":
            raise
        return None


async def events(request: web.Request, who: Principal) -> web.StreamResponse:
    """Status changes as they are stored; with `Last-Event-ID` (or ?last_event_id=) the
    ones stored after that id come first."""
    org = None if who.role in STAFF_ROLES else who.org
    after = _last_event_id(request)
    replayed: set[int] = set()

    def render(item: tuple[int, StatusChanged]) -> bytes | None:
        feed_id, event = item
        if (org is not None and event.org_id != org) or feed_id in replayed:
            return None  # another organisation's, or sent by the replay already
        return format_event(event.model_dump(mode="json"), event_id=str(feed_id), event="StatusChanged")

    with request.app[STATUS_FEED].subscribe() as feed:  # before the replay, so nothing falls between
        missed = []
        if after is not None:
            async with request.app[PG_POOL].acquire() as conn:
                missed = await db.feed_after(conn, after, org_id=org, limit=REPLAY_LIMIT)
        chunks = [chunk for chunk in map(render, missed) if chunk]
        replayed.update(feed_id for feed_id, _ in missed)
        return await stream(request, feed, render, heartbeat_s=request.app[SETTINGS].sse_heartbeat_s,
                            first=chunks)


def _last_event_id(request: web.Request) -> int | None:
    raw = request.headers.get("Last-Event-ID") or request.query.get("last_event_id")
    if raw is None:
        return None
    if not raw.isdigit() or len(raw) > 18:
        raise ApiError(400, "bad_last_event_id", "Last-Event-ID must be an id this stream sent (digits)")
    return int(raw)


async def hello(request: web.Request) -> web.Response:
    """bench/api.py's baseline: the same app and middlewares, no work."""
    return web.json_response({"hello": "world"})


def _query(model, request: web.Request):
    """The query string as the model, or 400 naming the first parameter at fault."""
    try:
        return model.model_validate(dict(request.query))
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        where = ".".join(str(p) for p in first["loc"])
        raise errors.bad_query(f"the query is not valid: {where}: {first['msg']}") from None


def _validated(build):
    try:
        return build()
    except ValidationError as exc:
        raise errors.invalid(exc) from None
