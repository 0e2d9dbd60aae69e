"""What is sent (mail.message_bytes): the shared part built once per event and language,
the recipient's own headers in front; parsed back it is build_message's message."""
import email
import email.policy
from uuid import UUID

from schemas.notifications import Kind, Language
from services.notifier.mail import build_message, message_bytes

from .message_contexts import full

SENDER = "labbook <noreply@labbook.local>"
OTHER = UUID("00000000-0000-4000-8000-000000000002")


def parse(raw: bytes):
    return email.message_from_bytes(raw, policy=email.policy.default)


def test_sent_bytes_are_the_built_message_with_the_recipients_own_headers():
    ctx = full(Kind.REQUEST_SCHEDULED)
    sent = parse(message_bytes(ctx, Language.RU, sender=SENDER, to="ivan@supplier.example"))
    built = parse(build_message(ctx, Language.RU, sender=SENDER, to="ivan@supplier.example").as_bytes())
    for name in ("To", "Message-ID", "Subject", "From", "Date", "Content-Language", "X-Labbook-Kind",
                 "X-Labbook-Request"):
        assert sent.get_all(name) == built.get_all(name), name
    assert sent.get_body(("plain",)).get_content() == built.get_body(("plain",)).get_content()
    assert [p.get_content_type() for p in sent.walk()] == [p.get_content_type() for p in built.walk()]


def test_two_recipients_of_one_event_differ_only_in_their_headers():
    first, second = full(Kind.REQUEST_OFFERED), full(Kind.REQUEST_OFFERED, delivery_id=OTHER)
    a = message_bytes(first, Language.EN, sender=SENDER, to="a@x.example")
    b = message_bytes(second, Language.EN, sender=SENDER, to="b@x.example")
    assert parse(a)["To"] == "a@x.example" and parse(b)["To"] == "b@x.example"
    assert parse(b)["Message-ID"] == "<00000000-0000-4000-8000-000000000002@labbook.local>"
    assert a.split(b"\n", 2)[2] == b.split(b"\n", 2)[2]  # the rest, byte for byte
    russian = message_bytes(first, Language.RU, sender=SENDER, to="a@x.example")
    assert parse(russian)["Subject"] != parse(a)["Subject"]  # another language is its own message
