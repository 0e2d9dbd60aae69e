"""HTTP views: parse and validate, call one use case.

Every role may subscribe and read its own feed (routes.py declares ANY_ROLE, enforced
before the view runs, which gets the verified caller as `who`); what it sees is
scoped to its organisation (staff see every delivery).
"""
from __future__ import annotations

from aiohttp import web
from pydantic import BaseModel, ValidationError

from schemas.tokens import Principal
from services.common import idempotency
from services.common.bodies import json_body
from services.common.db import PG_POOL
from services.common.errors import ApiError, bad_query, invalid
from services.common.settings import SETTINGS

from . import deliveries, feed, subscriptions, targets
from .dispatch import DISPATCHER
from .domain import DeliveriesQuery, NotificationsQuery, PageQuery, RedeliverQuery, SubscriptionBody, decode_cursor

def _validated(build):
    try:
        return build()
    except ValidationError as exc:
        raise invalid(exc) from None
    except ValueError as exc:  # a query value a validator could not name a field for
        raise bad_query(str(exc)) from None


def _query(request: web.Request, model: type[BaseModel]):
    return _validated(lambda: model.model_validate(dict(request.query)))


def _after(query: PageQuery) -> int | None:
    try:
        return decode_cursor(query.cursor) if query.cursor else None
    except ValueError:
        raise bad_query("invalid cursor; pass back the next_cursor of a previous page") from None


async def create_subscription(request: web.Request, who: Principal) -> web.Response:
    raw = await request.read()
    key = idempotency.key_of(request)
    pool, settings = request.app[PG_POOL], request.app[SETTINGS]
    if key is not None and (stored := await idempotency.replay(pool, subscriptions.SCHEMA, who.org, key, raw)):
        return web.json_response(stored[1], status=stored[0])
    body = _validated(lambda: SubscriptionBody.model_validate(json_body(raw)))
    if body.channel == "webhook":
        try:
            await targets.check_host(body.target, allow_private=settings.allow_private_targets)
        except ValueError as exc:
            raise invalid_target(str(exc)) from None
    status, answer = await subscriptions.create(pool, who, body, key=key, raw=raw)
    return web.json_response(answer, status=status)


def invalid_target(message: str) -> ApiError:
    return ApiError(422, "invalid_target", message, [{"loc": ["target"], "msg": message}])


async def list_subscriptions(request: web.Request, who: Principal) -> web.Response:
    query = _query(request, PageQuery)
    return web.json_response(await subscriptions.page(request.app[PG_POOL], who, after=_after(query),
                                                      limit=query.limit))


async def get_subscription(request: web.Request, who: Principal) -> web.Response:
    return web.json_response(await subscriptions.get(request.app[PG_POOL], who, request.match_info["id"]))


async def delete_subscription(request: web.Request, who: Principal) -> web.Response:
    return web.json_response(await subscriptions.delete(request.app[PG_POOL], who, request.match_info["id"]))


async def enable_subscription(request: web.Request, who: Principal) -> web.Response:
    return web.json_response(await subscriptions.enable(request.app[PG_POOL], who, request.match_info["id"]))


async def rotate_secret(request: web.Request, who: Principal) -> web.Response:
    overlap = request.app[SETTINGS].secret_overlap_s
    return web.json_response(await subscriptions.rotate(request.app[PG_POOL], who, request.match_info["id"], overlap))


async def notifications(request: web.Request, who: Principal) -> web.Response:
    query = _query(request, NotificationsQuery)
    return web.json_response(await feed.page(
        request.app[PG_POOL], who, language=query.language, unread_only=query.unread, after=_after(query),
        limit=query.limit, request_url=request.app[SETTINGS].request_url))


async def read_notification(request: web.Request, who: Principal) -> web.Response:
    query = _query(request, NotificationsQuery)
    return web.json_response(await feed.mark_read(request.app[PG_POOL], who, request.match_info["id"],
                                                  language=query.language,
                                                  request_url=request.app[SETTINGS].request_url))


async def list_deliveries(request: web.Request, who: Principal) -> web.Response:
    query = _query(request, DeliveriesQuery)
    return web.json_response(await deliveries.page(request.app[PG_POOL], who, status=query.status,
                                                   subscription_id=query.subscription_id, after=_after(query),
                                                   limit=query.limit))


async def redeliver(request: web.Request, who: Principal) -> web.Response:
    answer = await deliveries.redeliver(request.app[PG_POOL], who, request.match_info["id"])
    _wake(request)
    return web.json_response(answer)


async def redeliver_failed(request: web.Request, who: Principal) -> web.Response:
    query = _query(request, RedeliverQuery)
    since = _validated(query.since)
    answer = await deliveries.redeliver_failed(request.app[PG_POOL], who, since)
    _wake(request)
    return web.json_response(answer)


def _wake(request: web.Request) -> None:
    if DISPATCHER in request.app:
        request.app[DISPATCHER].wake()
