"""Webhook signatures against the Standard Webhooks reference library and the README snippet."""
from __future__ import annotations

import base64
import re
import time
from datetime import datetime, timezone

import pytest
from standardwebhooks import Webhook, WebhookVerificationError

from services.common.settings import ROOT
from services.notifier import signing

BODY = '{"event": "StatusChanged", "request_id": "r-1", "status": "SCHEDULED", "note": "образцы"}'.encode()
README = ROOT / "README.md"


def library_sign(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    return Webhook(secret).sign(msg_id, datetime.fromtimestamp(timestamp, timezone.utc), body.decode())


def test_new_secret_is_whsec_and_32_random_bytes():
    first, second = signing.new_secret(), signing.new_secret()
    assert first.startswith("whsec_") and first != second
    assert len(base64.b64decode(first.removeprefix("whsec_"), validate=True)) == 32


def test_the_specifications_example_signature():
    secret, msg_id, ts = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330
    assert signing.sign(secret, msg_id, ts, b'{"test": 2432232314}') == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def test_sign_agrees_with_the_reference_library():
    secret, now = signing.new_secret(), int(time.time())
    assert signing.sign(secret, "d-42", now, BODY) == library_sign(secret, "d-42", now, BODY)


def test_the_reference_library_verifies_our_headers_with_either_secret():
    old, new, now = signing.new_secret(), signing.new_secret(), int(time.time())
    headers = signing.headers([new, old], "d-42", now, BODY)
    assert set(headers) == {"webhook-id", "webhook-timestamp", "webhook-signature"}
    assert headers["webhook-timestamp"] == str(now)
    assert len(headers["webhook-signature"].split(" ")) == 2
    for secret in (old, new):
        assert Webhook(secret).verify(BODY, headers)["status"] == "SCHEDULED"
    with pytest.raises(WebhookVerificationError):
        Webhook(signing.new_secret()).verify(BODY, headers)


def test_verify_accepts_our_and_the_librarys_signatures():
    secret, now = signing.new_secret(), int(time.time())
    signing.verify(secret, signing.headers([secret], "d-1", now, BODY), BODY)
    library = {"Webhook-Id": "d-1", "Webhook-Timestamp": str(now),
               "Webhook-Signature": "v1a,ignored " + library_sign(secret, "d-1", now, BODY)}
    signing.verify(secret, library, BODY)  # header names are case-insensitive, other schemes skipped


@pytest.mark.parametrize("change, reason", [
    (lambda h, b: (h, b + b" "), "no webhook-signature matches"),
    (lambda h, b: ({**h, "webhook-id": "d-2"}, b), "no webhook-signature matches"),
    (lambda h, b: ({**h, "webhook-timestamp": str(int(h["webhook-timestamp"]) + 1)}, b), "no webhook-signature"),
    (lambda h, b: ({k: v for k, v in h.items() if k != "webhook-signature"}, b), "are required"),
    (lambda h, b: ({**h, "webhook-timestamp": "soon"}, b), "not Unix seconds"),
    (lambda h, b: ({**h, "webhook-signature": "v2," + h["webhook-signature"][3:]}, b), "no webhook-signature"),
    (lambda h, b: ({**h, "webhook-signature": "v1,***"}, b), "no webhook-signature"),
])
def test_verify_refuses_what_was_not_signed(change, reason):
    secret, now = signing.new_secret(), int(time.time())
    headers, body = change(signing.headers([secret], "d-1", now, BODY), BODY)
    with pytest.raises(signing.InvalidSignature, match=reason):
        signing.verify(secret, headers, body)


@pytest.mark.parametrize("age_s", [301, -301, 600])
def test_verify_refuses_a_timestamp_outside_the_tolerance(age_s):
    secret, then = signing.new_secret(), int(time.time()) - age_s
    with pytest.raises(signing.InvalidSignature, match="from now"):
        signing.verify(secret, signing.headers([secret], "d-1", then, BODY), BODY)
    signing.verify(secret, signing.headers([secret], "d-1", then, BODY), BODY, now=then + 10)


def test_invalid_signature_is_a_value_error_and_an_empty_secret_list_is_refused():
    assert issubclass(signing.InvalidSignature, ValueError)
    with pytest.raises(ValueError, match="at least one secret"):
        signing.headers([], "d-1", 0, BODY)


# The receiver's snippet the README shows.

def snippet_verify():
    section = README.read_text().partition("### Verifying a webhook")[2]
    match = re.search(r"```python\n(.*?)```", section, re.S)
    assert match, f"no ```python block under 'Verifying a webhook' in {README}"
    code = match.group(1)
    assert len(code.strip().splitlines()) <= 12
    assert not re.search(r"^\s*(import|from)\s+(?!base64|hashlib|hmac|time)", code, re.M), "stdlib only"
    namespace: dict = {}
    exec(compile(code, str(README), "exec"), namespace)  # noqa: S102 -- our own file
    return namespace["verify"]


def test_the_readme_snippet_accepts_ours_and_the_librarys_signatures():
    verify, secret, now = snippet_verify(), signing.new_secret(), int(time.time())
    assert verify(secret, signing.headers([signing.new_secret(), secret], "d-7", now, BODY), BODY)
    library = {"Webhook-Id": "d-7", "Webhook-Timestamp": str(now),
               "Webhook-Signature": library_sign(secret, "d-7", now, BODY)}
    assert verify(secret, library, BODY)


def test_the_readme_snippet_refuses_a_tampered_body_and_an_old_timestamp():
    verify, secret, now = snippet_verify(), signing.new_secret(), int(time.time())
    assert not verify(secret, signing.headers([secret], "d-7", now, BODY), BODY.replace(b"r-1", b"r-2"))
    assert not verify(secret, signing.headers([secret], "d-7", now - 600, BODY), BODY)
    assert not verify(signing.new_secret(), signing.headers([secret], "d-7", now, BODY), BODY)
    assert not verify(secret, {}, BODY)
