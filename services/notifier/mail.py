"""A notice as an email message (building only; channels.py sends it).

multipart/alternative (plain text, HTML), inside multipart/mixed when the notice carries
a calendar file. Headers are RFC 2047-encoded by the default policy when serialised, so
a Cyrillic subject survives servers without SMTPUTF8.
"""
from __future__ import annotations

from email.charset import BASE64, Charset
from email.header import Header
from email.message import Message
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.utils import format_datetime, formataddr, parseaddr
from functools import lru_cache

from schemas.notifications import Language

from .context import MessageContext
from .ics import calendar_for, calendar_method
from .render import aware, render_email

# The compat32 MIME classes, not EmailMessage: its header registry parsed and refolded
# every header and cost about 2 ms a message, most of the notifier's time per email.
UTF8 = Charset("utf-8")
UTF8.body_encoding = BASE64  # 7-bit safe on every relay, a third smaller than QP for Cyrillic


DOMAIN = "labbook.local"


def build_message(ctx: MessageContext, language: Language, *, sender: str, to: str,
                  message_id_domain: str = DOMAIN) -> Message:
    """The email for one delivery; its Message-ID is the delivery's, so a retry is the same message."""
    msg_id = _message_id(ctx, message_id_domain)
    msg = _shared(_without_delivery(ctx), Language(language), sender)
    msg["To"] = _address(to)
    msg["Message-ID"] = msg_id
    return msg


def message_bytes(ctx: MessageContext, language: Language, *, sender: str, to: str,
                  message_id_domain: str = DOMAIN) -> bytes:
    """What is sent: build_message's message as bytes. One event told to several recipients
    in one language reads the same to each, so that part is built and flattened once and
    only the recipient's own headers are put in front."""
    own = f"To: {_address(to)}\nMessage-ID: {_message_id(ctx, message_id_domain)}\n".encode()
    return own + _flattened(_without_delivery(ctx), Language(language), sender)


def _message_id(ctx: MessageContext, domain: str) -> str:
    if ctx.delivery_id is None:
        raise ValueError("build_message: ctx.delivery_id is None; an email needs its delivery's id")
    return f"<{ctx.delivery_id}@{domain}>"


def _without_delivery(ctx: MessageContext) -> MessageContext:
    """The cache key: the context is frozen (hashable), and the same for every recipient."""
    return ctx.model_copy(update={"delivery_id": None})


@lru_cache(maxsize=256)
def _flattened(ctx: MessageContext, language: Language, sender: str) -> bytes:
    return _shared(ctx, language, sender).as_bytes()


def _shared(ctx: MessageContext, language: Language, sender: str) -> Message:
    """Everything but the recipient's headers (To, Message-ID)."""
    rendered = _rendered(ctx, language)
    msg = MIMEMultipart("alternative", _subparts=[MIMEText(rendered.text, "plain", UTF8),
                                                  MIMEText(rendered.html, "html", UTF8)])
    calendar = _calendar(ctx, language, sender)
    if calendar is not None:
        msg = MIMEMultipart("mixed", _subparts=[msg, calendar])
    msg["Subject"] = Header(rendered.subject, "utf-8")
    msg["From"] = _address(sender)
    msg["Date"] = format_datetime(aware(ctx.occurred_at))
    msg["Content-Language"] = language.value
    msg["X-Labbook-Kind"] = ctx.kind.value
    if ctx.request_id is not None:
        msg["X-Labbook-Request"] = str(ctx.request_id)
    return msg


@lru_cache(maxsize=256)
def _rendered(ctx: MessageContext, language: Language):
    return render_email(ctx, language)


def _address(text: str) -> str:
    name, address = parseaddr(text)
    return formataddr((name, address), "utf-8") if address else text


def _calendar(ctx: MessageContext, language: Language, sender: str) -> MIMEText | None:
    method = calendar_method(ctx)
    ics = calendar_for(ctx, language, organizer=parseaddr(sender)[1] or None)
    if method is None or ics is None:
        return None
    part = MIMEText(ics.decode(), "calendar", UTF8)
    # method= on the part is what makes clients offer "add to calendar" / "remove".
    part.set_param("method", method)
    part.add_header("Content-Disposition", "attachment", filename=f"labbook-{ctx.request_id}.ics")
    return part
