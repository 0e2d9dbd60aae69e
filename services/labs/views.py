"""HTTP views: parse and validate, call one use case.

Each route's roles (routes.py) are enforced before its view runs and before the
body is read, so a caller who may not use a route gets 401/404 whatever it sent
(DESIGN.md, "Public contract (v1)"); the view gets the verified caller as `who`.
A lab's own routes also check, still before the body, that the `{id}` is the lab's.
"""
from __future__ import annotations

import json
from datetime import timezone

from aiohttp import web
from pydantic import BaseModel, ValidationError

from schemas.catalogue import find_methods
from schemas.lab_rules import is_lab_id
from schemas.labs_api import (AcceptBody, CapacityBody, DeclineBody, JobEventBody, ListQuery, MethodPage, MethodsQuery,
                              OffersQuery, PatchLab, RegisterLab, validate)
from schemas.moments import today_utc
from schemas.tokens import Principal
from schemas.values import Role
from services.common import idempotency
from services.common.bodies import json_body, malformed_json
from services.common.db import PG_POOL
from services.common.http import json_answer
from services.common.outbox import OUTBOX_RELAY

from . import errors, offers, service
from .domain import decode_cursor, offer_uuid


async def register_lab(request: web.Request, who: Principal) -> web.Response:
    key, pool = idempotency.key_of(request), request.app[PG_POOL]
    raw = await request.read()
    if key is not None and (stored := await idempotency.replay(pool, service.SCHEMA, who.org, key, raw)):
        return web.json_response(stored[1], status=stored[0])
    body = await _body(request, RegisterLab)
    status, answer = await service.register(pool, body, kept=None if key is None else (who.org, key, raw))
    return _published(request, answer, status=status)


async def list_labs(request: web.Request, who: Principal) -> web.Response:
    query = _query(request, ListQuery)
    return json_answer(await service.page(request.app[PG_POOL], after=_cursor(query, is_lab_id), limit=query.limit))


async def get_lab(request: web.Request, who: Principal) -> web.Response:
    return json_answer(await service.get(request.app[PG_POOL], who, _lab_id(request)))


async def patch_lab(request: web.Request, who: Principal) -> web.Response:
    body = await _body(request, PatchLab)
    answer = await service.patch(request.app[PG_POOL], _lab_id(request), body, today_utc())
    return _published(request, answer)


async def put_capacity(request: web.Request, who: Principal) -> web.Response:
    _own_lab_or_staff(request, who)
    body = await _body(request, CapacityBody)
    answer = await service.put_capacity(request.app[PG_POOL], who, _lab_id(request), body)
    return _published(request, answer)


async def heartbeat(request: web.Request, who: Principal) -> web.Response:
    answer = await service.heartbeat(request.app[PG_POOL], who, _lab_id(request))
    return _published(request, answer)


async def list_offers(request: web.Request, who: Principal) -> web.Response:
    query = _query(request, OffersQuery)
    answer = await offers.page(request.app[PG_POOL], who, status=query.status,
                               after=_cursor(query, lambda key: offer_uuid(key) is not None),
                               limit=query.limit, job=query.job)
    return _published(request, answer)


async def accept_offer(request: web.Request, who: Principal) -> web.Response:
    body = await _body(request, AcceptBody, empty_ok=True)
    answer = await offers.accept(request.app[PG_POOL], who, request.match_info["id"], body)
    return _published(request, answer)


async def decline_offer(request: web.Request, who: Principal) -> web.Response:
    body = await _body(request, DeclineBody)
    answer = await offers.decline(request.app[PG_POOL], who, request.match_info["id"], body)
    return _published(request, answer)


async def job_event(request: web.Request, who: Principal) -> web.Response:
    body = await _body(request, JobEventBody)
    answer = await offers.job_event(request.app[PG_POOL], who, request.match_info["request_id"], body, today_utc())
    return _published(request, answer)


async def list_methods(request: web.Request) -> web.Response:
    """Public: the catalogue is reference data, needed before anyone has a token."""
    query = _query(request, MethodsQuery)
    category = query.category or None
    text = query.standard or query.q or None
    return json_answer(MethodPage(items=find_methods(category=category, text=text)))


def _own_lab_or_staff(request: web.Request, who: Principal) -> None:
    """A lab may change its own capacity only: another lab's id is not found, before the body is read."""
    if who.role == Role.LAB and who.org != _lab_id(request):
        raise errors.not_found()


def _published(request: web.Request, answer: BaseModel | dict, status: int = 200) -> web.Response:
    """The answer (its model, or the JSON kept under an Idempotency-Key) once events were committed."""
    request.app[OUTBOX_RELAY].wake()  # send them now, not at the next poll
    if isinstance(answer, BaseModel):
        return json_answer(answer, status)
    return web.json_response(answer, status=status)


async def _body(request: web.Request, model: type[BaseModel], *, empty_ok: bool = False):
    data = json_body(await request.read(), empty_ok=empty_ok)
    if not isinstance(data, dict):
        raise malformed_json("expected an object")
    try:
        return validate(model, data)
    except ValidationError as exc:
        raise errors.invalid(exc) from None


def _query(request: web.Request, model: type[BaseModel]):
    try:
        return model.model_validate(dict(request.query))
    except ValidationError as exc:
        raise errors.bad_query("invalid query parameters", json.loads(exc.json(include_url=False))) from None


def _cursor(query: ListQuery, key_ok):
    """The decoded cursor, or 400 for anything a previous page did not hand out."""
    try:
        after = decode_cursor(query.cursor) if query.cursor else None
    except ValueError:
        after = ()
    if after is not None and not (after and key_ok(after[1]) and _in_range(after[0])):
        raise errors.bad_query("invalid cursor; pass back the next_cursor of a previous page")
    return after


def _lab_id(request: web.Request) -> str:
    """The `{id}` of a lab route; an id no lab can have is simply not found (and never reaches SQL)."""
    lab_id = request.match_info["id"]
    if not is_lab_id(lab_id):
        raise errors.not_found()
    return lab_id


def _in_range(at) -> bool:
    try:
        at.astimezone(timezone.utc)  # year 1 at +14:00 is before year 1 in UTC
    except OverflowError:
        return False
    return True
