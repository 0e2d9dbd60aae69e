"""Booking API: suppliers' test requests and the staff queue."""
from __future__ import annotations

from pathlib import Path

from aiohttp import web

from services.common.apps import api_app

from services.booking.scheduler.settings import SchedulerSettings

from .consumer import status_consumer_ctx
from .feed import STATUS_FEED, status_feed_ctx
from .insight.capacity import GAPS, GapsKeeper
from .insight.supply import RULES, supply_ctx
from .redrive import redrive_ctx
from .routes import setup_routes
from .settings import BookingSettings
from .sse import Broadcast

SERVICE = "booking-api"
SCHEMA = "booking"
MIGRATIONS = Path(__file__).parent / "migrations"


def create_app(settings: BookingSettings) -> web.Application:
    # The read model (dead-letters with the producer), the live stream read back from its
    # table, the submissions nobody picked up, sent again, and the labs' supply the
    # localisation case plans on (with the scheduler's own rules and settings).
    app = api_app(SERVICE, SCHEMA, MIGRATIONS, settings, status_consumer_ctx, status_feed_ctx, redrive_ctx,
                  supply_ctx)
    app[STATUS_FEED] = Broadcast()
    app[RULES] = SchedulerSettings()
    app[GAPS] = GapsKeeper(app[RULES].model_copy(update={"batch_time_limit_s": settings.capacity_gaps_solve_s}))
    app.on_shutdown.append(_end_streams)
    setup_routes(app, settings)
    return app


async def _end_streams(app: web.Application) -> None:
    app[STATUS_FEED].close()
