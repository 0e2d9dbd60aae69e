"""`labbook token issue|revoke`: bearer tokens for an organisation and role."""
from __future__ import annotations

import argparse
import asyncio
import re
import sys
from datetime import datetime, timezone

from aiokafka.errors import KafkaError
from pydantic import ValidationError

from schemas.events import TokenRevoked
from schemas.tokens import DEFAULT_TTL_S, ExpiredToken, InvalidToken, OldFormatToken, issue, verify
from schemas.topics import REVOCATIONS
from schemas.values import Role
from services.common.revocations import publish
from services.common.settings import ServiceSettings, load_settings
from services.common.startup import StartupError
from services.notifier.settings import parse_durations

JTI_RE = re.compile(r"^[0-9a-f]{32}$")  # what issue() makes; --jti takes any other id


def ttl_seconds(text: str) -> int:
    """`--ttl 90d`, `12h`, `30m`, `3600s` (or plain seconds)."""
    try:
        (seconds,) = parse_durations(text if not text.strip().isdigit() else f"{text}s")
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    if seconds < 1:
        raise argparse.ArgumentTypeError("a token must live at least one second")
    return int(seconds)


def cmd_issue(args: argparse.Namespace) -> int:
    settings = load_settings(ServiceSettings, "labbook")
    print(issue(settings.secret(), org=args.org, role=args.role, ttl_s=args.ttl))
    return 0


def _which(secret: str, args: argparse.Namespace) -> TokenRevoked | str:
    """The revocation to publish, or why there is none."""
    now = datetime.now(timezone.utc)
    jti = args.jti or (args.token if JTI_RE.match(args.token.strip()) else None)
    if jti:
        return TokenRevoked(jti=jti.strip(), revoked_at=now, reason=args.reason)
    try:
        who = verify(secret, args.token.strip())
    except ExpiredToken as exc:
        return f"nothing to revoke: {exc}, and every service refuses it already"
    except OldFormatToken as exc:
        return f"nothing to revoke: {exc}"
    except InvalidToken:
        return "not a token issued with this deployment's secret (use --jti)"
    reason = args.reason or f"org {who.org} role {who.role.value}"
    return TokenRevoked(jti=who.jti, revoked_at=now, expires_at=datetime.fromtimestamp(who.exp, timezone.utc),
                        reason=reason)


def cmd_revoke(args: argparse.Namespace) -> int:
    settings = load_settings(ServiceSettings, "labbook")
    try:
        event = _which(settings.secret(), args)
    except ValidationError:  # only a --jti of ours can be wrong here
        event = f"not a token id: {args.jti!r}"
    if isinstance(event, str):
        print(f"labbook: {event}", file=sys.stderr)
        return 1
    try:
        asyncio.run(publish(settings.kafka_bootstrap, event))
    except StartupError as exc:
        print(f"labbook: cannot revoke, {exc}", file=sys.stderr)
        return 1
    except KafkaError as exc:
        print(f"labbook: cannot revoke, {REVOCATIONS.name}: {exc!r} (missing? `labbook topics create`)",
              file=sys.stderr)
        return 1
    print(f"revoked token {event.jti} (published on {REVOCATIONS.name}; every service refuses it within seconds)")
    return 0


def add_parser(sub) -> None:
    token = sub.add_parser("token", help="bearer tokens").add_subparsers(dest="action", required=True)
    t_issue = token.add_parser("issue", help="print a bearer token (a JWT) for an organisation and role")
    t_issue.add_argument("--role", required=True, choices=[r.value for r in Role])
    t_issue.add_argument("--org", required=True, help="organisation id (a lab's is its lab id)")
    defaults = ", ".join(f"{role.value} {f'{s // 86400} d' if s >= 86400 else f'{s // 3600} h'}"
                         for role, s in DEFAULT_TTL_S.items())
    t_issue.add_argument("--ttl", type=ttl_seconds, help=f"how long it is valid, e.g. 30d, 12h (default: {defaults})")
    t_issue.set_defaults(func=cmd_issue)
    t_revoke = token.add_parser("revoke", help="revoke a token: every service answers 401 to it from then on")
    which = t_revoke.add_mutually_exclusive_group(required=True)
    which.add_argument("token", nargs="?", help="the bearer token, or its id (jti), to revoke")
    which.add_argument("--jti", help="the token id to revoke, when the token itself is lost")
    t_revoke.add_argument("--reason", help="why, kept with the revocation")
    t_revoke.set_defaults(func=cmd_revoke)
