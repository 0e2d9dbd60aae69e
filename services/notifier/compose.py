"""What a claimed delivery says: its MessageContext, webhook body and email."""
from __future__ import annotations

import json
from functools import lru_cache

import asyncpg

from schemas.notifications import Kind, Language

from .context import MessageContext
from .mail import message_bytes

# Facts a notice stores under the names MessageContext uses.
FACT_FIELDS = ("status", "seq", "reason", "lab_id", "planned_start", "planned_end", "offer_id", "expires_at",
               "certificate_no", "valid_until", "subscription_id", "subscription_target")


def loads(value):
    return json.loads(value) if isinstance(value, str) else value


def context_of(row: asyncpg.Record, request_url: str) -> MessageContext:
    facts, envelope = loads(row["facts"]), loads(row["envelope"])
    component = loads(row["component"]) or {}
    values = {k: facts[k] for k in FACT_FIELDS if k in facts}
    request_id = row["request_id"]
    values.setdefault("planned_start", row["request_start"])
    values.setdefault("planned_end", row["request_end"])
    values.setdefault("seq", row["request_seq"] or None)  # a job's cancellation outranks its schedule (.ics)
    return MessageContext(
        kind=Kind(row["kind"]), event_id=row["event_id"], delivery_id=row["id"],
        occurred_at=envelope["occurred_at"], request_id=request_id,
        request_url=request_url.format(id=request_id) if request_id else None,
        component_name=component.get("name"), part_number=component.get("part_number"),
        category=component.get("category"), method_code=row["method_code"], samples=row["samples"],
        deadline=row["deadline"], ship_from_region=row["ship_from_region"], lab_name=row["lab_name"],
        lab_city=row["lab_city"], **values)


def waiting_for_details(row: asyncpg.Record) -> bool:
    """A request's notice whose RequestSubmitted has not been consumed yet."""
    return row["request_id"] is not None and row["method_code"] is None


def webhook_body(row) -> bytes:
    """The event envelope, the notice's kind, and the request's current status and seq,
    so a receiver can drop an event that arrives after a newer one. The stored envelope
    is JSON text already: the two fields are spliced in, not re-encoded. An event's
    subscriptions mostly get the same body: it is built once (an LRU of recent ones)."""
    envelope = row["envelope"]
    if not isinstance(envelope, str):
        envelope = json.dumps(envelope, separators=(",", ":"))
    return _body(envelope, row["kind"], row["request_id"], row["request_status"], row["request_seq"])


@lru_cache(maxsize=256)
def _body(envelope: str, kind: str, request_id, status: str | None, seq: int | None) -> bytes:
    request = None if request_id is None else {"id": str(request_id), "status": status, "seq": seq}
    extra = json.dumps({"kind": kind, "request": request}, separators=(",", ":"))
    return (envelope.rstrip()[:-1] + "," + extra[1:]).encode()


def email_of(row: asyncpg.Record, ctx: MessageContext, sender: str) -> bytes:
    return message_bytes(ctx, Language(row["language"]), sender=sender, to=row["target"])

