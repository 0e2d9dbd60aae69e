"""Two scheduler workers share the 4 partitions; under load no slot is ever double-booked."""
from __future__ import annotations

import uuid
from collections import defaultdict

from schemas import events as ev
from schemas.topics import MATCHING, OFFERS, REQUESTS, RESERVATIONS, STATUS
from tests.support.brokers import until_group_stable
from tests.support.waits import until

from .support import Bus, add_lab, method_code, request, scheduler, wait_ready
from .test_vitals import processed, samples

REQUESTS_N, SLOTS = 200, 2


def peak_overlap(intervals: list[tuple]) -> int:
    points = sorted([(s, 1) for s, _ in intervals] + [(e, -1) for _, e in intervals])
    running = best = 0
    for _, step in points:  # at equal times -1 sorts first: touching intervals don't overlap
        running += step
        best = max(best, running)
    return best


async def test_two_workers_never_double_book(kafka, tmp_path):
    bus = Bus(kafka, (STATUS.name, OFFERS.name, RESERVATIONS.name, MATCHING.name))
    await bus.start()
    try:
        # Offers at once (no planning ahead): every request is offered or UNMATCHED in
        # its first round, so the ask of every placement reaches the labs at once.
        async with scheduler(bus, tmp_path, workers=2, offer_ttl_s=3600, plan_ahead=False) as workers:
            # Both members in the group and its rebalance done, then every partition read.
            await until_group_stable(bus.bootstrap, workers.app_id, members=2, timeout=120)
            await wait_ready(bus, *workers[0])
            method = method_code()
            labs = [f"lab-{i}-{uuid.uuid4().hex[:6]}" for i in range(2)]
            for lab in labs:
                await add_lab(bus, lab, method, slots=SLOTS)
            reqs = [request(method, deadline_days=12) for _ in range(REQUESTS_N)]
            for r in reqs:
                await bus.producer.send(REQUESTS.name, _bytes(r), key=str(r.request_id).encode())
            await bus.producer.flush()
            await _until_settled(bus, reqs)
            granted = {g.reservation_id: g for g in bus.events(ev.SlotGranted) if g.lab_id in labs}
            released = {r.reservation_id for r in bus.events(ev.ReleaseSlot) if r.lab_id in labs}
            by_lab = defaultdict(list)
            for g in granted.values():
                if g.reservation_id not in released:
                    by_lab[g.lab_id].append((g.start, g.end))
            assert by_lab and all(peak_overlap(v) <= SLOTS for v in by_lab.values())
            offers = defaultdict(list)
            for o in bus.events(ev.OfferMade):
                if o.lab_id in labs:
                    offers[o.lab_id].append((o.planned_start, o.planned_end))
            assert all(peak_overlap(v) <= SLOTS for v in offers.values())
            final = {r.request_id: bus.statuses(r.request_id)[-1].status for r in reqs}
            placed = sum(1 for s in final.values() if s == "OFFERED")
            assert 0 < placed < REQUESTS_N  # capacity is short on purpose
            assert all(s in ("OFFERED", "UNMATCHED") for s in final.values())
            # Both workers did work (each holds two of the four request partitions) and are still running.
            submitted = [processed(await samples(url), "scheduler-requests", "RequestSubmitted")
                         for url in workers.urls]
            assert all(n > 0 for n in submitted) and sum(submitted) >= REQUESTS_N, submitted
            assert all(child.poll() is None for child, _ in workers)
    finally:
        await bus.stop()


def _bytes(event) -> bytes:
    from schemas.envelope import Envelope
    return Envelope.wrap(event, producer="test").to_bytes()


async def _until_settled(bus: Bus, reqs, timeout: float = 180) -> None:
    def settled() -> int:
        return sum(bool(s := bus.statuses(r.request_id)) and s[-1].status in ("OFFERED", "UNMATCHED") for r in reqs)
    await until(lambda: settled() == len(reqs), timeout, lambda: f"all {len(reqs)} requests to settle, {settled()} did",
                interval=0.5)
