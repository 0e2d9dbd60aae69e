"""A notice as an email message (building only; channels.py sends it).

multipart/alternative (plain text, HTML), inside multipart/mixed when the notice carries
a calendar file. Headers are RFC 2047-encoded by the default policy when serialised, so
a Cyrillic subject survives servers without SMTPUTF8.
"""
from __future__ import annotations

from email.message import EmailMessage
from email.utils import format_datetime, parseaddr

from schemas.notifications import Language

from .context import MessageContext
from .ics import calendar_for, calendar_method
from .render import aware, render_email


def build_message(ctx: MessageContext, language: Language, *, sender: str, to: str,
                  message_id_domain: str = "labbook.local") -> EmailMessage:
    """The email for one delivery; its Message-ID is the delivery's, so a retry is the same message."""
    if ctx.delivery_id is None:
        raise ValueError("build_message: ctx.delivery_id is None; an email needs its delivery's id")
    language = Language(language)
    rendered = render_email(ctx, language)
    msg = EmailMessage()
    msg["Subject"] = rendered.subject
    msg["From"] = sender
    msg["To"] = to
    msg["Date"] = format_datetime(aware(ctx.occurred_at))
    msg["Message-ID"] = f"<{ctx.delivery_id}@{message_id_domain}>"
    msg["X-Labbook-Kind"] = ctx.kind.value
    if ctx.request_id is not None:
        msg["X-Labbook-Request"] = str(ctx.request_id)
    msg.set_content(rendered.text, cte=_cte(rendered.text))
    msg.add_alternative(rendered.html, subtype="html", cte=_cte(rendered.html))
    _attach_calendar(msg, ctx, language, sender)
    # Last: setting content, or making it multipart/mixed, moves or drops Content-* headers.
    msg["Content-Language"] = language.value
    return msg


def _attach_calendar(msg: EmailMessage, ctx: MessageContext, language: Language, sender: str) -> None:
    method = calendar_method(ctx)
    ics = calendar_for(ctx, language, organizer=parseaddr(sender)[1] or None)
    if method is None or ics is None:
        return
    # method= on the part is what makes clients offer "add to calendar" / "remove".
    msg.add_attachment(ics, maintype="text", subtype="calendar", filename=f"labbook-{ctx.request_id}.ics",
                       params={"method": method, "charset": "utf-8"})


def _cte(body: str) -> str | None:
    """Base64 for non-ASCII bodies: 7-bit safe on every relay, and a third the size of
    quoted-printable for Cyrillic; ASCII bodies keep the library's choice."""
    return None if body.isascii() else "base64"
