"""A notice as an email message (building only; channels.py sends it).

multipart/alternative (plain text, HTML), inside multipart/mixed when the notice carries
a calendar file. Headers are RFC 2047-encoded by the default policy when serialised, so
a Cyrillic subject survives servers without SMTPUTF8.
"""
from __future__ import annotations

from email.charset import BASE64, Charset
from functools import lru_cache
from email.header import Header
from email.message import Message
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.utils import format_datetime, formataddr, parseaddr

from schemas.notifications import Language

from .context import MessageContext
from .ics import calendar_for, calendar_method
from .render import aware, render_email

# The compat32 MIME classes, not EmailMessage: its header registry parsed and refolded
# every header and cost about 2 ms a message, most of the notifier's time per email.
UTF8 = Charset("utf-8")
UTF8.body_encoding = BASE64  # 7-bit safe on every relay, a third smaller than QP for Cyrillic


def build_message(ctx: MessageContext, language: Language, *, sender: str, to: str,
                  message_id_domain: str = "labbook.local") -> Message:
    """The email for one delivery; its Message-ID is the delivery's, so a retry is the same message."""
    if ctx.delivery_id is None:
        raise ValueError("build_message: ctx.delivery_id is None; an email needs its delivery's id")
    language = Language(language)
    rendered = _rendered(ctx.model_copy(update={"delivery_id": None}), language)
    msg = MIMEMultipart("alternative", _subparts=[MIMEText(rendered.text, "plain", UTF8),
                                                  MIMEText(rendered.html, "html", UTF8)])
    calendar = _calendar(ctx, language, sender)
    if calendar is not None:
        msg = MIMEMultipart("mixed", _subparts=[msg, calendar])
    msg["Subject"] = Header(rendered.subject, "utf-8")
    msg["From"] = _address(sender)
    msg["To"] = _address(to)
    msg["Date"] = format_datetime(aware(ctx.occurred_at))
    msg["Message-ID"] = f"<{ctx.delivery_id}@{message_id_domain}>"
    msg["Content-Language"] = language.value
    msg["X-Labbook-Kind"] = ctx.kind.value
    if ctx.request_id is not None:
        msg["X-Labbook-Request"] = str(ctx.request_id)
    return msg


# One event told to several recipients in one language reads the same to each: render
# it once (the context without the delivery id is the key; it is frozen, so hashable).
@lru_cache(maxsize=256)
def _rendered(ctx: MessageContext, language: Language):
    return render_email(ctx, language)


@lru_cache(maxsize=256)
def _calendar_file(ctx: MessageContext, language: Language, organizer: str | None) -> bytes | None:
    return calendar_for(ctx, language, organizer=organizer)


def _address(text: str) -> str:
    name, address = parseaddr(text)
    return formataddr((name, address), "utf-8") if address else text


def _calendar(ctx: MessageContext, language: Language, sender: str) -> MIMEText | None:
    method = calendar_method(ctx)
    ics = _calendar_file(ctx.model_copy(update={"delivery_id": None}), language, parseaddr(sender)[1] or None)
    if method is None or ics is None:
        return None
    part = MIMEText(ics.decode(), "calendar", UTF8)
    # method= on the part is what makes clients offer "add to calendar" / "remove".
    part.set_param("method", method)
    part.add_header("Content-Disposition", "attachment", filename=f"labbook-{ctx.request_id}.ics")
    return part
