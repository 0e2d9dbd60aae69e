"""`labbook`: run the local stack, issue tokens, export schemas, read the mail it caught."""
from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import timezone
from pathlib import Path

from schemas import export as schema_export
from services.common.kafka import ensure_topics
from services.common.settings import ServiceSettings, load_settings
from services.common.startup import StartupError
from services.notifier import mailcatcher
from services.notifier.mailcatcher_settings import MailCatcherSettings

from . import agent, stack, tokens


def cmd_up(args: argparse.Namespace) -> int:
    if rc := stack.infra("up"):
        return rc
    if args.only == "infra":
        return 0
    for proc in stack.PROCESSES:
        stack.start(proc)
    print("waiting for every service to answer /healthz (the mail catcher: its SMTP port) ...")
    ok = stack.wait_healthy(stack.PROCESSES)
    print("\nlabbook is up:" if ok else "\nlabbook is not fully up:")
    for proc in stack.PROCESSES:
        print(f"  {proc.name:<12} {proc.url()}")
    print(f"  {'dashboard':<12} {stack.PROCESSES[0].url()}/dashboard\n  logs         {stack.home() / 'logs'}")
    return 0 if ok else 1


def cmd_demo(args: argparse.Namespace) -> int:
    from rich.console import Console

    from .demo.driver import DemoError
    from .demo.run import play

    if args.reset and (rc := stack.reset_local_data()):
        return rc
    if rc := cmd_up(argparse.Namespace(only=None)):
        return rc
    try:
        return asyncio.run(play(Console(), seed=args.seed, budget_s=args.budget, linger_s=args.linger))
    except DemoError as exc:
        print(f"labbook demo: {exc}", file=sys.stderr)
        return 1


def cmd_down(args: argparse.Namespace) -> int:
    for proc in reversed(stack.PROCESSES):
        stack.stop(proc)
    return 0 if args.only == "services" else stack.infra("down")


def cmd_status(args: argparse.Namespace) -> int:
    rc = stack.infra("status")
    for proc in stack.PROCESSES:
        pid, code = stack.running_pid(proc), stack.health(proc)
        state = f"running (pid {pid})" if pid else "stopped"
        print(f"{proc.name}: {state}, {proc.describe(code)} at {proc.url()}")
        rc = rc or (0 if code == 200 else 3)
    return rc


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


def _mail_dir(args: argparse.Namespace) -> Path:
    return args.dir or load_settings(MailCatcherSettings, "labbook").mail_dir()


def cmd_mail_list(args: argparse.Namespace) -> int:
    directory = _mail_dir(args)
    messages = mailcatcher.list_messages(directory) if directory.is_dir() else []
    if not messages:
        print(f"no mail caught in {directory}")
        return 0
    rows = [("ID", "DATE (UTC)", "TO", "SUBJECT"), *(
        (m.id, m.date.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S"), ", ".join(m.to), m.subject)
        for m in messages)]  # list_messages is oldest first, so the newest is last
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    for row in rows:
        print("  ".join([*(cell.ljust(width) for cell, width in zip(row, widths)), row[3]]))
    return 0


def cmd_mail_show(args: argparse.Namespace) -> int:
    directory = _mail_dir(args)
    try:
        message = mailcatcher.read_message(directory, args.id)
    except KeyError:
        print(f"labbook: no message {args.id} in {directory} (see `labbook mail list`)", file=sys.stderr)
        return 1
    for name in ("X-Labbook-Envelope-From", "X-Labbook-Envelope-To", "Date", "From", "To", "Cc",
                 "Reply-To", "Subject", "Message-ID"):
        if message[name] is not None:
            print(f"{name}: {message[name]}")
    body = message.get_body(preferencelist=("plain", "html"))
    print("\n" + (body.get_content().rstrip() if body is not None else "(no text part)") + "\n")
    attachments = list(message.iter_attachments())
    print(f"attachments: {len(attachments) or 'none'}")
    for part in attachments:
        size = len(part.get_payload(decode=True) or b"")
        print(f"  {part.get_filename() or '(unnamed)'}  {part.get_content_type()}  {size} bytes")
    return 0


def _add_mail_parser(sub) -> None:
    mail = sub.add_parser("mail", help="mail caught by the local stack's mail catcher").add_subparsers(
        dest="action", required=True)
    m_list = mail.add_parser("list", help="every caught message, newest last")
    m_show = mail.add_parser("show", help="one message: headers, text, attachments")
    m_show.add_argument("id", help="the message id that `labbook mail list` prints")
    for command, func in ((m_list, cmd_mail_list), (m_show, cmd_mail_show)):
        command.add_argument("--dir", type=Path, help="the catcher's directory (default: $LABBOOK_HOME/mail)")
        command.set_defaults(func=func)


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="labbook", description=__doc__)
    sub = p.add_subparsers(dest="command", required=True)
    up = sub.add_parser("up", help="start Kafka, PostgreSQL and every service in the background")
    up.add_argument("--only", choices=["infra"], help="start only Kafka and PostgreSQL")
    up.set_defaults(func=cmd_up)
    demo = sub.add_parser("demo", help="bring the stack up and play the survey's situation on it (make demo)")
    demo.add_argument("--reset", action="store_true",
                      help="first wipe the local stack's data (PostgreSQL, Kafka, scheduler state, caught mail)")
    demo.add_argument("--seed", type=int, default=7, help="which world to build (default 7; the same seed "
                      "recognises its data on a second run)")
    demo.add_argument("--budget", type=float, default=240.0, help="seconds to let it run at most (default 240)")
    demo.add_argument("--linger", type=float, default=15.0,
                      help="seconds the labs work on once the scheduler has answered everything (default 15)")
    demo.set_defaults(func=cmd_demo)
    down = sub.add_parser("down", help="stop everything `up` started")
    down.add_argument("--only", choices=["services"], help="leave Kafka and PostgreSQL running")
    down.set_defaults(func=cmd_down)
    sub.add_parser("status", help="what runs and whether it is healthy").set_defaults(func=cmd_status)

    tokens.add_parser(sub)

    schemas = sub.add_parser("schemas", help="message schemas").add_subparsers(dest="action", required=True)
    s_export = schemas.add_parser("export", help="write the JSON Schema of every event")
    s_export.add_argument("dir")
    s_export.set_defaults(func=cmd_schemas_export)

    topics = sub.add_parser("topics", help="Kafka topics").add_subparsers(dest="action", required=True)
    topics.add_parser("create", help="create the registry's topics").set_defaults(func=cmd_topics_create)

    _add_mail_parser(sub)
    agent.add_parser(sub)
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
