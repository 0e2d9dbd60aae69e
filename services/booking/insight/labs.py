"""GET /v1/insight/labs: labfigures.py on the labs' supply (supply.py) and the requests
labs hold in the read model. Cheap (one pass over labs and held requests), so it is
computed on every call rather than kept."""
from __future__ import annotations

from aiohttp import web

from schemas.envelope import utcnow
from schemas.insight_api import LabsInsight
from schemas.states import HOLDING
from services.common.db import PG_POOL

from . import queries
from .labfigures import Held, labs_insight
from .supply import RULES, SUPPLY


async def labs(app: web.Application) -> LabsInsight:
    supply = app[SUPPLY]
    supply.require_loaded()
    async with app[PG_POOL].acquire() as conn:
        rows = await queries.held_by_labs(conn, sorted(HOLDING))
    held = [Held(r["lab_id"], r["method_code"], r["planned_start"], r["planned_end"]) for r in rows]
    return labs_insight(supply.profiles, supply.adverts, held, utcnow(), app[RULES].liveness_hours)
