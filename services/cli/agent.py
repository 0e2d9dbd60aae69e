"""`labbook agent run|offers|accept|decline`: the lab agent and manual offer handling."""
from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import signal
import sys
import tomllib
from pathlib import Path

from pydantic import ValidationError

from schemas.labs_api import JobEventType
from services.labs.agent import DEFAULT_URL, Agent, ApiRefused, LabsClient, Unavailable, load_config, session


def add_parser(sub) -> None:
    agent = sub.add_parser("agent", help="the lab agent and manual offer handling").add_subparsers(
        dest="action", required=True)

    def common(p: argparse.ArgumentParser) -> argparse.ArgumentParser:
        p.add_argument("--url", default=os.environ.get("LABBOOK_LABS_URL", DEFAULT_URL), help="labs API base URL")
        p.add_argument("--token", default=os.environ.get("LABBOOK_TOKEN"),
                       help="the lab's bearer token (default: $LABBOOK_TOKEN)")
        return p

    run = common(agent.add_parser("run", help="heartbeats, capacity from lab.toml, auto-accept by policy"))
    run.add_argument("--lab", required=True, help="the lab id (the token's organisation)")
    run.add_argument("--config", required=True, type=Path, help="lab.toml")
    run.set_defaults(func=cmd_run)
    offers = common(agent.add_parser("offers", help="list the lab's offers (JSON lines)"))
    offers.add_argument("--status", default="pending",
                        choices=["pending", "accepted", "declined", "withdrawn", "expired", "all"])
    offers.set_defaults(func=cmd_offers)
    accept = common(agent.add_parser("accept", help="accept an offer"))
    accept.add_argument("offer_id")
    accept.add_argument("--planned-start", help="proposed start: a date (2026-12-10, that day's start in the lab's "
                        "time zone) or a date-time with an offset (2026-12-10T09:00:00+03:00)")
    accept.set_defaults(func=cmd_accept)
    decline = common(agent.add_parser("decline", help="decline an offer"))
    decline.add_argument("offer_id")
    decline.add_argument("--reason", required=True)
    decline.set_defaults(func=cmd_decline)
    job = common(agent.add_parser("job", help="report a job's progress: samples received ... report issued"))
    job.add_argument("request_id", help="the job's request id (an accepted offer's request_id)")
    job.add_argument("event", type=str.upper, choices=[t.value for t in JobEventType],
                     help="what happened (any case: samples_received works)")
    job.add_argument("--report-url", help="where the report is (REPORT_ISSUED only)")
    job.add_argument("--sha256", help="the report file's SHA-256, hex (REPORT_ISSUED only)")
    job.add_argument("--at", help="when it happened: a date-time with an offset (default: now)")
    job.set_defaults(func=cmd_job)


def _token(args: argparse.Namespace) -> str:
    if not args.token:
        print("labbook agent: pass --token or set LABBOOK_TOKEN", file=sys.stderr)
        raise SystemExit(2)
    return args.token


def cmd_run(args: argparse.Namespace) -> int:
    token = _token(args)
    logging.basicConfig(level=os.environ.get("LOG_LEVEL", "INFO").upper(),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        config = load_config(args.config)
    except (OSError, tomllib.TOMLDecodeError, ValidationError) as exc:
        print(f"labbook agent: bad config {args.config}: {exc}", file=sys.stderr)
        return 2
    return asyncio.run(_run(args, token, config))


async def _run(args: argparse.Namespace, token: str, config) -> int:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    async with session() as http:
        agent = Agent(LabsClient(http, args.url, token), args.lab, config)
        logging.getLogger("labbook.agent").info("lab agent for %s talking to %s", args.lab, args.url)
        try:
            await agent.run(stop)
        except ApiRefused as exc:  # a wrong token, lab id or config: retrying would not help
            print(f"labbook agent: the labs API refused: {exc}", file=sys.stderr)
            return 2
    return 0


def cmd_offers(args: argparse.Namespace) -> int:
    status = None if args.status == "all" else args.status
    return _once(args, lambda client: client.offers(status), lines=True)


def cmd_accept(args: argparse.Namespace) -> int:
    body = {"planned_start": args.planned_start} if args.planned_start else {}
    return _once(args, lambda client: client.call("POST", f"/v1/offers/{args.offer_id}/accept", body))


def cmd_decline(args: argparse.Namespace) -> int:
    return _once(args, lambda client: client.call("POST", f"/v1/offers/{args.offer_id}/decline",
                                                  {"reason": args.reason}))


def cmd_job(args: argparse.Namespace) -> int:
    body = {"type": args.event, **{k: v for k, v in (("report_url", args.report_url), ("sha256", args.sha256),
                                                     ("at", args.at)) if v}}
    return _once(args, lambda client: client.call("POST", f"/v1/jobs/{args.request_id}/events", body))


def _once(args: argparse.Namespace, action, *, lines: bool = False) -> int:
    token = _token(args)

    async def go():
        async with session() as http:
            return await action(LabsClient(http, args.url, token))

    try:
        result = asyncio.run(go())
    except ApiRefused as exc:
        print(f"labbook agent: {exc}", file=sys.stderr)
        return 1
    except Unavailable as exc:
        print(f"labbook agent: labs API at {args.url} unavailable: {exc}", file=sys.stderr)
        return 3
    for item in (result if lines else [result]):
        print(json.dumps(item, ensure_ascii=False))
    return 0
