"""The local mail catcher: real SMTP over loopback, in process and as `python -m`."""
from __future__ import annotations

import os
import signal
import subprocess
import time
from email.message import EmailMessage

import aiosmtplib
import pytest

from services.cli import stack
from services.cli.main import main as labbook
from services.notifier import mailcatcher
from tests.support.processes import free_port, python_module, spawn
from tests.support.smtp import smtp_server

SUBJECT = "Заявка LB-1042 запланирована: испытания начнутся 12 мая"
TEXT = "Здравствуйте! Лаборатория приняла заявку.\n"


def message(subject: str = SUBJECT) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = "labbook <notify@labbook.example>"
    msg["To"] = "supplier@example.ru, reject-x@example.ru"
    msg["Subject"] = subject
    msg["Date"] = "Tue, 12 May 2026 09:30:00 +0300"
    msg.set_content(TEXT)
    msg.add_alternative("<p>Здравствуйте! Лаборатория приняла заявку.</p>", subtype="html")
    msg.add_attachment(b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n", maintype="text", subtype="calendar",
                       filename="испытания.ics")
    return msg


@pytest.fixture
async def catcher(tmp_path):
    port = free_port()
    async with await mailcatcher.serve(tmp_path / "mail", "127.0.0.1", port):
        yield port, tmp_path / "mail"


async def send(port: int, recipients: list[str], msg: EmailMessage | None = None):
    return await aiosmtplib.send(msg or message(), hostname="127.0.0.1", port=port,
                                 sender="bounce@labbook.example", recipients=recipients, timeout=10)


async def test_a_message_is_stored_as_received_and_reject_recipients_get_550(catcher):
    port, directory = catcher
    refused, reply = await send(port, ["supplier@example.ru", "reject-x@example.ru"])
    assert refused["reject-x@example.ru"].code == 550
    assert "mailbox unavailable" in refused["reject-x@example.ru"].message
    assert "supplier@example.ru" not in refused

    [path] = list(directory.glob("*.eml"))
    assert path.stem in reply  # "250 OK queued as <id>"
    raw = path.read_bytes()
    assert raw.startswith(b"X-Labbook-Envelope-From: <bounce@labbook.example>\r\n"
                          b"X-Labbook-Envelope-To: supplier@example.ru\r\n")
    assert not [p for p in directory.iterdir() if p.name.startswith(".")]  # no temp file left

    [summary] = mailcatcher.list_messages(directory)
    assert (summary.id, summary.subject, summary.to) == (path.stem, SUBJECT, ["supplier@example.ru"])
    assert summary.sender == "labbook <notify@labbook.example>"
    assert summary.size == len(raw) and summary.date.utcoffset().total_seconds() == 3 * 3600
    stored = mailcatcher.read_message(directory, summary.id)
    assert stored.get_body(("plain",)).get_content() == TEXT
    assert [a.get_filename() for a in stored.iter_attachments()] == ["испытания.ics"]


async def test_tempfail_recipients_get_451_and_nothing_is_stored(catcher):
    port, directory = catcher
    with pytest.raises(aiosmtplib.SMTPRecipientsRefused) as refused:
        await send(port, ["tempfail-1@example.ru", "Reject@example.ru"])
    assert sorted(r.code for r in refused.value.recipients) == [451, 550]
    assert not list(directory.glob("*.eml"))


async def test_messages_are_listed_oldest_first(catcher):
    port, directory = catcher
    for n in range(3):
        await send(port, [f"lab-{n}@example.ru"], message(f"Сообщение {n}"))
    assert [m.subject for m in mailcatcher.list_messages(directory)] == ["Сообщение 0", "Сообщение 1", "Сообщение 2"]


@pytest.mark.parametrize("bad", ["../mail/x", ".hidden", "", "nope"])
def test_read_message_refuses_unknown_and_path_like_ids(tmp_path, bad):
    with pytest.raises(KeyError):
        mailcatcher.read_message(tmp_path, bad)


async def test_labbook_mail_list_and_show(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("LABBOOK_HOME", str(tmp_path))
    monkeypatch.delenv("MAILCATCHER_DIR", raising=False)
    assert labbook(["mail", "list"]) == 0
    assert "no mail caught in" in capsys.readouterr().out

    port = free_port()
    async with await mailcatcher.serve(tmp_path / "mail", "127.0.0.1", port):  # $LABBOOK_HOME/mail
        await send(port, ["first@example.ru"], message("Первое"))
        await send(port, ["supplier@example.ru", "reject-x@example.ru"])
    assert labbook(["mail", "list"]) == 0
    header, first, last = capsys.readouterr().out.splitlines()
    assert header.split() == ["ID", "DATE", "(UTC)", "TO", "SUBJECT"]
    assert first.endswith("Первое") and "first@example.ru" in first
    assert last.endswith(SUBJECT) and "2026-05-12 06:30:00" in last and "reject" not in last

    assert labbook(["mail", "show", last.split()[0]]) == 0
    shown = capsys.readouterr().out
    for line in (f"Subject: {SUBJECT}", "X-Labbook-Envelope-To: supplier@example.ru", TEXT.strip(),
                 "attachments: 1", "испытания.ics  text/calendar"):
        assert line in shown
    assert labbook(["mail", "show", "no-such-id"]) == 1
    assert "no message no-such-id" in capsys.readouterr().err


async def test_the_test_support_server_is_the_real_subprocess_and_stops_on_sigterm(tmp_path):
    with smtp_server(tmp_path) as smtp:
        refused, _ = await send(smtp.port, ["staff@example.ru", "reject-me@example.ru"])
        assert list(refused) == ["reject-me@example.ru"]
        [caught] = await smtp.wait_for(1)
        assert caught["Subject"] == SUBJECT and caught["X-Labbook-Envelope-To"] == "staff@example.ru"
        with pytest.raises(AssertionError, match="within 0.2 s"):
            await smtp.wait_for(2, timeout=0.2)
        os.kill(smtp.process.pid, signal.SIGTERM)
        assert smtp.process.wait(10) == 0
    log = smtp.log.read_text().splitlines()
    assert log == [f"mailcatcher: listening on smtp://127.0.0.1:{smtp.port}, writing to {smtp.dir}",
                   "mailcatcher: stopped"]


def test_without_arguments_it_reads_its_settings_and_status_sees_its_port(tmp_path, monkeypatch):
    port, log = free_port(), tmp_path / "catcher.log"
    monkeypatch.setenv("LABBOOK_HOME", str(tmp_path))
    monkeypatch.setenv("MAILCATCHER_PORT", str(port))  # for the child and for `labbook status`
    monkeypatch.delenv("MAILCATCHER_DIR", raising=False)
    proc = next(p for p in stack.PROCESSES if p.name == "mailcatcher")
    with spawn(python_module("services.notifier.mailcatcher"), {}, log) as child:
        assert wait_accepting(proc, child), log.read_text()
        assert proc.describe(stack.health(proc)) == "SMTP port open"
        child.send_signal(signal.SIGTERM)
        assert child.wait(10) == 0
    assert proc.describe(stack.health(proc)) == "SMTP port closed"
    assert f"listening on smtp://127.0.0.1:{port}, writing to {tmp_path / 'mail'}" in log.read_text()


def wait_accepting(proc: stack.Process, child: subprocess.Popen) -> bool:
    """stack.wait_healthy's own check, without its pid files."""
    for _ in range(200):
        if stack.health(proc) == 200:
            return True
        if child.poll() is not None:
            return False
        time.sleep(0.05)
    return False
