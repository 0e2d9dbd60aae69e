"""Signing cluster staff in to the dashboard: a form takes their token once and an
HttpOnly cookie carries it from then on, so it is never in a URL, in the page's
script or in its storage (issue 14).

- GET /dashboard without a staff session shows the sign-in form.
- POST /dashboard/login (form field `token`) checks the token as every route does
  (signature, expiry, revocation) and that it is a staff or admin token, then sets
  the session cookie: HttpOnly, SameSite=Strict, Secure when served over TLS,
  expiring with the token or after SESSION_HOURS, whichever is first; 303 to the page.
- POST /dashboard/logout clears it.
- Both forms carry a CSRF token that must equal the `labbook_csrf` cookie (double
  submit): a page on another site can neither read the cookie nor, SameSite=Strict,
  send it, so it cannot sign someone in as itself or out.
The API takes the session cookie for GET and HEAD only (services/common/auth.py).
Revoking the token ends every session it opened.
"""
from __future__ import annotations

import hmac
import secrets
import time
from html import escape

from aiohttp import web

from schemas.tokens import Principal
from schemas.values import STAFF_ROLES
from services.common.auth import verified
from services.common.errors import ApiError

from .dashboardwords import words

COOKIE = "labbook_session"
CSRF_COOKIE = "labbook_csrf"
SESSION_HOURS = 12
MAX_FORM_BYTES = 16 * 1024


def staff_session(request: web.Request) -> Principal | None:
    """The signed-in staff member, or None (no cookie, or one no longer valid)."""
    token = request.cookies.get(COOKIE)
    if not token:
        return None
    try:
        who = verified(request.app, token)
    except ApiError:
        return None
    return who if who.role in STAFF_ROLES else None


def csrf_token(request: web.Request) -> str:
    """The browser's CSRF token (kept in its cookie), or a new one to set."""
    return request.cookies.get(CSRF_COOKIE) or secrets.token_urlsafe(24)


def _cookie(response: web.StreamResponse, request: web.Request, name: str, value: str, max_age: int) -> None:
    response.set_cookie(name, value, max_age=max_age, path="/", httponly=True, samesite="Strict",
                        secure=request.secure)


def with_csrf(response: web.StreamResponse, request: web.Request, token: str) -> web.StreamResponse:
    _cookie(response, request, CSRF_COOKIE, token, SESSION_HOURS * 3600)
    return response


async def checked_form(request: web.Request) -> dict[str, str]:
    """The posted form, once its CSRF token matches the browser's cookie (403 otherwise)."""
    if request.content_length and request.content_length > MAX_FORM_BYTES:
        raise ApiError(413, "payload_too_large", "the sign-in form is at most 16 KiB")
    form = await request.post()
    expected, given = request.cookies.get(CSRF_COOKIE, ""), str(form.get("csrf", ""))
    if not expected or not hmac.compare_digest(expected, given):
        raise ApiError(403, "csrf_failed", "the form is out of date or came from another site; "
                                           "reload the dashboard and sign in again")
    return {k: str(v) for k, v in form.items()}


def open_session(response: web.StreamResponse, request: web.Request, who: Principal, token: str) -> None:
    """The session cookie, expiring with the token or after SESSION_HOURS."""
    _cookie(response, request, COOKIE, token, max(1, min(SESSION_HOURS * 3600, who.exp - int(time.time()))))


def close_session(response: web.StreamResponse) -> None:
    response.del_cookie(COOKIE, path="/")


def signin_form(csrf: str, error: str | None, lang: str) -> str:
    w = words(lang)
    problem = f'<p id="signin-error" role="alert">{escape(error)}</p>' if error else ""
    hint = escape(w["signInHint"]).format(command="<code>labbook token issue --role staff --org ORG</code>",
                                          hours=SESSION_HOURS)
    return (f'<form id="signin" method="post" action="/dashboard/login" autocomplete="off">'
            f'<h2>{escape(w["signIn"])}</h2>{problem}'
            f'<label for="token">{escape(w["tokenLabel"])}</label>'
            f'<input id="token" name="token" type="password" spellcheck="false" required>'
            f'<input type="hidden" name="csrf" value="{escape(csrf)}">'
            f'<button type="submit">{escape(w["signIn"])}</button>'
            f'<p class="hint">{hint}</p>'
            f'</form>')


def signout_form(csrf: str, lang: str) -> str:
    return (f'<form id="signout" method="post" action="/dashboard/logout">'
            f'<input type="hidden" name="csrf" value="{escape(csrf)}">'
            f'<button type="submit" class="plain" data-t="signOut">{escape(words(lang)["signOut"])}</button></form>')
