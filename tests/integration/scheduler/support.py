"""Event factories, a topic watcher and the scheduler worker as a subprocess."""
from __future__ import annotations

import asyncio
import json
import uuid
from collections import Counter
from contextlib import asynccontextmanager, contextmanager
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from schemas import events as ev
from schemas.envelope import Envelope, MessageRejected, decode
from schemas.states import check_transition
from schemas.topics import LAB_RESPONSES, LABS, PARTITIONS, REQUESTS, RESERVATIONS, Topic
from services.common.kafka import ensure_topics
from tests.support.brokers import assign_from_end, kafka
from tests.support.processes import free_port, python_module, spawn
from tests.support.waits import until, within

SAMARA = (53.2077, 50.1355)


def now() -> datetime:
    return datetime.now(timezone.utc)


def method_code() -> str:
    """A method no other test's lab holds, so labs from parallel runs never compete."""
    return f"TEST-{uuid.uuid4().hex[:8]}"


def lab_profile(lab_id: str, method: str, *, status: str = "active", at=SAMARA, price: int = 50_000,
                hours: int = 24) -> ev.LabProfile:
    return ev.LabProfile(
        lab_id=lab_id, name=f"Lab {lab_id}", inn="6312345670", region_code="RU-SAM", city="Samara",
        lat=at[0], lon=at[1], updated_at=now(),
        accreditation={"certificate_no": "RA.RU.21AB12", "status": status, "valid_until": date(2030, 1, 1)},
        scope=({"method_code": method, "max_samples": 10, "price_rub": price, "duration_hours": hours},))


def capacity(lab_id: str, method: str, *, slots: int = 1, days: int = 60, from_days: int = 0) -> ev.CapacityAdvertised:
    start = now().replace(microsecond=0) + timedelta(days=from_days)
    return ev.CapacityAdvertised(lab_id=lab_id, heartbeat_at=now(), items=(
        {"method_code": method, "slots": slots, "available_from": start,
         "available_to": start + timedelta(days=days)},))


def request(method: str, *, deadline_days: int = 30, org: str = "org-test", **overrides) -> ev.RequestSubmitted:
    fields = dict(request_id=uuid.uuid4(), org_id=org, method_code=method, test_kind="certification",
                  component={"name": "Brake pad", "part_number": "BP-1", "category": "brakes"}, samples=2,
                  deadline=(now() + timedelta(days=deadline_days)).date(), ship_from_region="RU-SAM",
                  submitted_at=now())
    return ev.RequestSubmitted(**{**fields, **overrides})


class Bus:
    """Publishes events and collects every decoded message on the watched topics."""

    def __init__(self, bootstrap: str, topics: tuple[str, ...]) -> None:
        self.bootstrap, self.topics, self.seen = bootstrap, topics, []
        self.producer = AIOKafkaProducer(bootstrap_servers=bootstrap, enable_idempotence=True)
        self.consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, isolation_level="read_committed",
                                         enable_auto_commit=False)

    async def start(self) -> None:
        await self.producer.start()
        await self.consumer.start()
        tps = [TopicPartition(t, p) for t in self.topics for p in range(PARTITIONS)]
        self.consumer.assign(tps)
        await self.consumer.seek_to_end(*tps)
        for tp in tps:  # resolve the end offsets now, before anything is published
            await self.consumer.position(tp)
        self._task = asyncio.create_task(self._collect())

    async def _collect(self) -> None:
        async for message in self.consumer:
            try:
                envelope, event = decode(message.value)
            except MessageRejected:
                continue
            self.seen.append((message.topic, message.key, envelope, event))

    async def stop(self) -> None:
        self._task.cancel()
        await self.consumer.stop()
        await self.producer.stop()

    async def publish(self, topic: str, key: str, event: ev.Event, partition: int | None = None):
        """Send and wait for the ack; the record's metadata (topic, partition, offset)."""
        value = Envelope.wrap(event, producer="test").to_bytes()
        return await self.producer.send_and_wait(topic, value, key=key.encode(), partition=partition)

    def events(self, kind: type, **match) -> list:
        return [e for _, _, _, e in self.seen if isinstance(e, kind)
                and all(str(getattr(e, k)) == str(v) for k, v in match.items())]

    async def wait(self, kind: type, count: int = 1, timeout: float = 60, **match) -> list:
        def enough() -> list:
            found = self.events(kind, **match)
            return found if len(found) >= count else []
        return await until(enough, timeout, interval=0.1,
                           what=lambda: f"{count} {kind.__name__} {match}; saw {self.events(kind, **match)}")

    def statuses(self, request_id) -> list[ev.StatusChanged]:
        return sorted(self.events(ev.StatusChanged, request_id=request_id), key=lambda e: e.seq)

    async def wait_status(self, request_id, status: str, timeout: float = 60) -> list[ev.StatusChanged]:
        await self.wait(ev.StatusChanged, timeout=timeout, request_id=request_id, status=status)
        return self.statuses(request_id)


@asynccontextmanager
async def private_bus(broker_env: dict[str, str], topics: tuple[str, ...]):
    """A broker of the test's own, started, with the registry's topics, and a Bus on `topics`."""
    assert "listening" in kafka("up", broker_env)
    bootstrap = f"127.0.0.1:{broker_env['LABBOOK_KAFKA_PORT']}"
    await ensure_topics(bootstrap)
    bus = Bus(bootstrap, topics)
    await bus.start()
    try:
        yield bus
    finally:
        await bus.stop()


async def wait_ready(bus: Bus, child, log: Path, timeout: float = 120) -> None:
    """The worker consumes from 'latest', so publish probe labs on every partition until
    each is in the supply table of every scheduler app running here, in every partition:
    then every partition is assigned and consumed. (Their SupplyChanged on the topic
    would not do: any scheduler on the broker, another test run's too, broadcasts them.)"""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    probe, method = f"probe-{uuid.uuid4().hex[:8]}", method_code()
    probes, why = [f"{probe}-{p}" for p in range(PARTITIONS)], f"not ready in {timeout:g} s"
    try:
        async with supply_changelogs(bus.bootstrap, from_end=False, timeout=timeout, child=child) as changelogs:
            while loop.time() < deadline and child.poll() is None:
                for p, lab_id in enumerate(probes):
                    await bus.publish(LABS.name, lab_id, lab_profile(lab_id, method), partition=p)
                # Not back in time: published before a partition was read. Again.
                if await within(lambda: changelogs.held(probes, "profile"), 1.5, interval=0):
                    return
    except AssertionError as exc:  # its worker exited, or its tables never came
        why = str(exc)
    raise AssertionError(f"scheduler {why}\n{log.read_text(errors='replace')[-4000:]}")


RUNNING: dict[str, Counter] = {}  # bootstrap -> app ids of the scheduler workers this process runs on it


@contextmanager
def running(bootstrap: str, app_id: str):
    """Count a scheduler app as running while the block runs: add_lab waits for every one."""
    apps = RUNNING.setdefault(bootstrap, Counter())
    apps[app_id] += 1
    try:
        yield
    finally:
        apps[app_id] -= 1
        if apps[app_id] <= 0:
            del apps[app_id]


class Workers(list):
    """The (child, log) pairs of one scheduler app's workers, with the app's id (its
    consumer group) and each worker's base URL (/metrics, /healthz) in the same order."""

    def __init__(self, children, app_id: str, urls: list[str]) -> None:
        super().__init__(children)
        self.app_id, self.urls = app_id, urls


@asynccontextmanager
async def scheduler(bus: Bus, tmp_path: Path, *, workers: int = 1, app_id: str | None = None,
                    cleanup: bool = True, **env):
    """Worker subprocesses (Workers); cleanup=False keeps the app's changelogs for a successor."""
    tmp_path.mkdir(parents=True, exist_ok=True)
    app_id = app_id or f"test-scheduler-{uuid.uuid4().hex[:8]}"
    base = {"SCHEDULER_APP_ID": app_id, "LABBOOK_HOME": str(tmp_path), "KAFKA_BOOTSTRAP": bus.bootstrap,
            "SCHEDULER_AUTO_OFFSET_RESET": "latest", "SCHEDULER_OFFER_SCAN_INTERVAL_S": "0.5",
            **{f"SCHEDULER_{k.upper()}": str(v) for k, v in env.items()}}
    try:
        with running(bus.bootstrap, app_id):
            async with _spawn_many(base, tmp_path, workers) as (children, urls):
                yield Workers(children, app_id, urls)
    finally:
        if cleanup:
            await _delete_internal_topics(bus.bootstrap, app_id)


@asynccontextmanager
async def ready_worker(bootstrap: str, tmp_path: Path, **env):
    """One worker (scheduler()), yielded once its partitions are assigned and read."""
    probe = Bus(bootstrap, (RESERVATIONS.name,))
    async with scheduler(probe, tmp_path, **env) as children:
        await probe.start()
        try:
            await wait_ready(probe, *children[0])
        finally:
            await probe.stop()
        yield children


async def _delete_internal_topics(bootstrap: str, app_id: str) -> None:
    """Each test's app id gets its own changelogs; don't leave them on the shared broker."""
    from aiokafka.admin import AIOKafkaAdminClient

    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        mine = [t for t in await admin.list_topics() if t.startswith(f"{app_id}-")]
        if mine:
            await admin.delete_topics(mine)
    finally:
        await admin.close()


@asynccontextmanager
async def _spawn_many(base: dict, tmp_path: Path, workers: int):
    from contextlib import ExitStack
    with ExitStack() as stack:
        children, urls = [], []
        for i in range(workers):
            log, port = tmp_path / f"scheduler-{i}.log", free_port()
            env = {**base, "SCHEDULER_PORT": str(port), "LABBOOK_HOME": str(tmp_path / f"w{i}")}
            children.append((stack.enter_context(spawn(python_module("services.booking.scheduler"), env, log)), log))
            urls.append(f"http://127.0.0.1:{port}")
        yield children, urls


async def add_lab(bus: Bus, lab_id: str, method: str, *, slots: int = 1, status: str = "active", from_days: int = 0,
                  **profile) -> None:
    """Publish a lab's profile and capacity (its window from `from_days` out); wait until
    the request side of every scheduler app running here holds both, in every partition."""
    async with supply_changelogs(bus.bootstrap) as changelogs:
        await bus.publish(LABS.name, lab_id, lab_profile(lab_id, method, status=status, **profile))
        await bus.publish("labbook.capacity.v1", lab_id, capacity(lab_id, method, slots=slots, from_days=from_days))
        both = ("profile", "capacity")
        await until(lambda: changelogs.held([lab_id], *both), 60,
                    lambda: f"lab {lab_id} in the supply tables; lacking in {changelogs.missing([lab_id], *both)}")


class SupplyChangelogs:
    """What the request side writes to its `supply` table, read from the table's
    changelog: a record there is in the table (Faust writes the table, then the log)."""

    def __init__(self, consumer: AIOKafkaConsumer, topics: list[str]) -> None:
        self.consumer, self.topics = consumer, topics
        self.records: dict[str, dict[tuple[str, int], dict]] = {}  # lab_id -> (changelog, partition) -> record

    async def held(self, lab_ids: list[str], *fields: str) -> bool:
        """Whether every partition of every changelog holds each lab, with these fields set
        (reading what has come since the last look)."""
        for tp, messages in (await self.consumer.getmany(timeout_ms=100)).items():
            for m in messages:
                record = json.loads(m.value) if m.value else None
                self.records.setdefault(json.loads(m.key), {})[(tp.topic, tp.partition)] = record
        return not self.missing(lab_ids, *fields)

    def missing(self, lab_ids: list[str], *fields: str) -> list[tuple[str, int]]:
        """The (changelog, partition) pairs that lack one of the labs or one of its fields."""
        def has(lab_id: str, tp: tuple[str, int]) -> bool:
            record = self.records.get(lab_id, {}).get(tp) or {}
            return all(record.get(f) for f in fields)
        return sorted({(t, p) for lab_id in lab_ids for t in self.topics for p in range(PARTITIONS)
                       if not has(lab_id, (t, p))})


@asynccontextmanager
async def supply_changelogs(bootstrap: str, *, from_end: bool = True, timeout: float = 60, child=None):
    """The supply changelogs of every scheduler app running here (running()), once each
    exists (the app has started its tables): from their current ends, so only what is
    written after shows, or from their beginnings."""
    apps = sorted(RUNNING.get(bootstrap, ()))
    assert apps, "no scheduler app is running here (see running())"
    names = [f"{app}-supply-changelog" for app in apps]
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        async def created() -> bool:
            assert child is None or child.poll() is None, "the scheduler worker exited"
            return set(names) <= await consumer.topics()
        await until(created, timeout, f"the changelogs {names}")
        topics = [Topic(name, "lab_id", ()) for name in names]
        if from_end:
            await assign_from_end(consumer, *topics)
        else:
            consumer.assign([TopicPartition(name, p) for name in names for p in range(PARTITIONS)])
            await consumer.seek_to_beginning()
        yield SupplyChangelogs(consumer, names)
    finally:
        await consumer.stop()


RESERVATIONS_TOPIC = RESERVATIONS.name


def assert_timeline(statuses: list[ev.StatusChanged]) -> list[str]:
    """Seq 2, 3, ... without gaps, every step legal, starting after booking's SUBMITTED."""
    previous = "SUBMITTED"
    for seq, s in enumerate(statuses, start=2):
        assert s.seq == seq and str(s.previous) == previous, statuses
        check_transition(previous, s.status)
        previous = s.status
    return [str(s.status) for s in statuses]


async def submit(bus: Bus, req: ev.RequestSubmitted):
    """Publish the request; its record's metadata."""
    return await bus.publish(REQUESTS.name, str(req.request_id), req)


async def respond(bus: Bus, event: ev.Event) -> None:
    await bus.publish(LAB_RESPONSES.name, str(event.request_id), event)


async def offered(bus: Bus) -> tuple[str, str, ev.RequestSubmitted, ev.OfferMade]:
    """A lab for a method of its own and a request for it, up to its offer:
    (method, lab, request, offer)."""
    method, lab = method_code(), f"lab-{uuid.uuid4().hex[:8]}"
    await add_lab(bus, lab, method)
    req = request(method)
    await submit(bus, req)
    return method, lab, req, (await bus.wait(ev.OfferMade, request_id=req.request_id))[0]
