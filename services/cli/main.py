"""`labbook`: run the local stack, issue tokens, export schemas."""
from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import datetime, timezone
from pathlib import Path

from schemas import export as schema_export
from schemas.tokens import InvalidToken, issue, verify
from schemas.values import Role
from services.common.auth import revoke
from services.common.kafka import ensure_topics
from services.common.settings import ServiceSettings, load_settings
from services.common.startup import StartupError

from . import agent, stack


def cmd_up(args: argparse.Namespace) -> int:
    if rc := stack.infra("up"):
        return rc
    if args.only == "infra":
        return 0
    for proc in stack.PROCESSES:
        stack.start(proc)
    print("waiting for every service to answer /healthz ...")
    ok = stack.wait_healthy(stack.PROCESSES)
    print("\nlabbook is up:" if ok else "\nlabbook is not fully up:")
    for proc in stack.PROCESSES:
        print(f"  {proc.name:<12} {proc.url()}")
    print(f"  {'dashboard':<12} {stack.PROCESSES[0].url()}/dashboard\n  logs         {stack.home() / 'logs'}")
    return 0 if ok else 1


def cmd_down(args: argparse.Namespace) -> int:
    for proc in reversed(stack.PROCESSES):
        stack.stop(proc)
    return 0 if args.only == "services" else stack.infra("down")


def cmd_status(args: argparse.Namespace) -> int:
    rc = stack.infra("status")
    for proc in stack.PROCESSES:
        pid, code = stack.running_pid(proc), stack.health(proc)
        state = f"running (pid {pid})" if pid else "stopped"
        print(f"{proc.name}: {state}, /healthz {code or 'no answer'} at {proc.url()}")
        rc = rc or (0 if code == 200 else 3)
    return rc


def cmd_token_issue(args: argparse.Namespace) -> int:
    settings = load_settings(ServiceSettings, "labbook")
    print(issue(settings.secret(), org=args.org, role=args.role))
    return 0


def cmd_token_revoke(args: argparse.Namespace) -> int:
    settings = load_settings(ServiceSettings, "labbook")
    if args.jti:
        jti, note = args.jti, "by jti"
    else:
        try:
            who = verify(settings.secret(), args.token.strip())
        except InvalidToken:
            print("labbook: not a token issued with this deployment's secret (use --jti)", file=sys.stderr)
            return 1
        jti, note = who.jti, f"org {who.org} role {who.role.value}"
    path = revoke(settings.home, jti, f"{note}, revoked {datetime.now(timezone.utc).isoformat(timespec='seconds')}")
    print(f"revoked token {jti} (listed in {path}; every service refuses it within seconds)")
    return 0


def cmd_schemas_export(args: argparse.Namespace) -> int:
    written = schema_export.export(Path(args.dir))
    print(f"wrote {len(written)} JSON Schemas to {args.dir}")
    return 0


def cmd_topics_create(args: argparse.Namespace) -> int:
    settings = load_settings(ServiceSettings, "labbook")
    try:
        created = asyncio.run(ensure_topics(settings.kafka_bootstrap))
    except StartupError as exc:
        print(f"labbook: {exc}", file=sys.stderr)
        return 1
    print(f"created: {', '.join(created) or 'none (all present)'}")
    return 0


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="labbook", description=__doc__)
    sub = p.add_subparsers(dest="command", required=True)
    up = sub.add_parser("up", help="start Kafka, PostgreSQL and every service in the background")
    up.add_argument("--only", choices=["infra"], help="start only Kafka and PostgreSQL")
    up.set_defaults(func=cmd_up)
    down = sub.add_parser("down", help="stop everything `up` started")
    down.add_argument("--only", choices=["services"], help="leave Kafka and PostgreSQL running")
    down.set_defaults(func=cmd_down)
    sub.add_parser("status", help="what runs and whether it is healthy").set_defaults(func=cmd_status)

    token = sub.add_parser("token", help="bearer tokens").add_subparsers(dest="action", required=True)
    t_issue = token.add_parser("issue", help="print a bearer token for an organisation and role")
    t_issue.add_argument("--role", required=True, choices=[r.value for r in Role])
    t_issue.add_argument("--org", required=True, help="organisation id (a lab's is its lab id)")
    t_issue.set_defaults(func=cmd_token_issue)
    t_revoke = token.add_parser("revoke", help="revoke a token: every service answers 401 to it from then on")
    which = t_revoke.add_mutually_exclusive_group(required=True)
    which.add_argument("token", nargs="?", help="the bearer token to revoke")
    which.add_argument("--jti", help="the token id to revoke, when the token itself is lost")
    t_revoke.set_defaults(func=cmd_token_revoke)

    schemas = sub.add_parser("schemas", help="message schemas").add_subparsers(dest="action", required=True)
    s_export = schemas.add_parser("export", help="write the JSON Schema of every event")
    s_export.add_argument("dir")
    s_export.set_defaults(func=cmd_schemas_export)

    topics = sub.add_parser("topics", help="Kafka topics").add_subparsers(dest="action", required=True)
    topics.add_parser("create", help="create the registry's topics").set_defaults(func=cmd_topics_create)

    agent.add_parser(sub)
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
