"""The labs' figures staff watch (GET /v1/insight/labs), computed from the supply the
booking API follows (LabProfile, CapacityAdvertised) and the requests labs hold:

- utilisation per lab and method over the next HORIZON_DAYS: slot-hours advertised
  against hours held, both clipped to the same span, so a window ending next year or
  a job planned for after the span does not swamp the share;
- accreditations valid for at most HORIZON_DAYS more days, with the work the lab holds
  and how much of it is planned to end after the accreditation (its report could not
  be issued under it: the scheduler's own reading of valid_until, scoring.end_of_day);
- labs whose agent is silent by the scheduler's own liveness rule (matching.py: a lab
  heard from before now - liveness_hours, or never, gets no offers).

Pure: no database, no Kafka; the route (labs.py) hands it what it read.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from schemas.events import CapacityAdvertised, LabProfile
from schemas.insight_api import HORIZON_DAYS, ExpiringAccreditation, LabMethodUse, LabsInsight, SilentLab
from services.booking.scheduler.scoring import end_of_day
from services.booking.scheduler.windows import HOUR, Window, by_method


@dataclass(frozen=True)
class Held:
    """A request a lab holds (schemas.states.HOLDING); an offer may not carry its plan yet."""

    lab_id: str
    method_code: str
    planned_start: datetime | None
    planned_end: datetime | None


@dataclass(frozen=True)
class Span:
    since: datetime
    until: datetime

    def hours(self, start: datetime, end: datetime) -> float:
        """Hours of [start, end) inside the span."""
        return max((min(end, self.until) - max(start, self.since)) / HOUR, 0.0)


def _lab(profile: LabProfile) -> dict:
    return {"lab_id": profile.lab_id, "name": profile.name, "city": profile.city, "region": profile.region_code}


def _available(advert: CapacityAdvertised | None, span: Span) -> dict[str, float]:
    windows = by_method((c.method_code, Window(c.slots, c.available_from, c.available_to))
                        for c in (advert.items if advert else ()))
    return {method: sum(w.slots * span.hours(w.start, w.end) for w in found) for method, found in windows.items()}


def _booked(held: Iterable[Held], span: Span) -> dict[tuple[str, str], float]:
    booked: dict[tuple[str, str], float] = {}
    for h in held:
        hours = span.hours(h.planned_start, h.planned_end) if h.planned_start and h.planned_end else 0.0
        booked[h.lab_id, h.method_code] = booked.get((h.lab_id, h.method_code), 0.0) + hours
    return booked


def use(profiles: Mapping[str, LabProfile], adverts: Mapping[str, CapacityAdvertised],
        held: Sequence[Held], span: Span) -> list[LabMethodUse]:
    booked = _booked(held, span)
    rows = []
    for lab_id in sorted(profiles):
        profile, available = profiles[lab_id], _available(adverts.get(lab_id), span)
        methods = {s.method_code for s in profile.scope} | set(available) | {m for lab, m in booked if lab == lab_id}
        for method in sorted(methods):
            have, taken = available.get(method, 0.0), booked.get((lab_id, method), 0.0)
            rows.append(LabMethodUse(**_lab(profile), method_code=method, available_hours=round(have, 2),
                                     booked_hours=round(taken, 2), free_hours=round(max(have - taken, 0.0), 2),
                                     utilisation=round(taken / have, 4) if have else None))
    return rows


def expiring(profiles: Mapping[str, LabProfile], held: Sequence[Held], now: datetime) -> list[ExpiringAccreditation]:
    today = now.astimezone(timezone.utc).date()  # valid_until's days are UTC days (scoring.end_of_day)
    found = []
    for profile in profiles.values():
        acc = profile.accreditation
        days_left = (acc.valid_until - today).days
        if days_left > HORIZON_DAYS:
            continue
        mine = [h for h in held if h.lab_id == profile.lab_id]
        lapse = end_of_day(acc.valid_until)
        found.append(ExpiringAccreditation(
            **_lab(profile), certificate_no=acc.certificate_no, status=acc.status.value,
            valid_until=acc.valid_until, days_left=days_left, holding=len(mine),
            at_risk=sum(1 for h in mine if h.planned_end is not None and h.planned_end > lapse)))
    return sorted(found, key=lambda e: (e.valid_until, e.lab_id))


def silent(profiles: Mapping[str, LabProfile], adverts: Mapping[str, CapacityAdvertised],
           held: Sequence[Held], now: datetime, liveness_hours: float) -> list[SilentLab]:
    live_since = now - timedelta(hours=liveness_hours)
    holding = Counter(h.lab_id for h in held)
    found = []
    for lab_id, profile in profiles.items():
        advert = adverts.get(lab_id)
        heard = advert.heartbeat_at if advert else None
        if heard is not None and heard >= live_since:  # matching.py's rule, word for word
            continue
        hours = round((now - heard) / HOUR, 1) if heard else None
        found.append(SilentLab(**_lab(profile), last_heartbeat=heard, hours_silent=hours, holding=holding[lab_id]))
    return sorted(found, key=lambda s: (s.hours_silent is not None, -(s.hours_silent or 0.0), s.lab_id))


def labs_insight(profiles: Mapping[str, LabProfile], adverts: Mapping[str, CapacityAdvertised],
                 held: Sequence[Held], now: datetime, liveness_hours: float) -> LabsInsight:
    span = Span(now, now + timedelta(days=HORIZON_DAYS))
    return LabsInsight(computed_at=now, since=span.since, until=span.until, liveness_hours=liveness_hours,
                       use=use(profiles, adverts, held, span), expiring=expiring(profiles, held, now),
                       silent=silent(profiles, adverts, held, now, liveness_hours))
