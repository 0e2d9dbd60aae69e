"""Signing in to the staff dashboard: a form takes the token once, an HttpOnly,
SameSite=Strict cookie carries it, the API's GETs take that cookie and nothing else
does, a supplier or lab token is refused, and a form from elsewhere (no CSRF token)
changes nothing. Cookies are handled by hand here, to see each one the server sets."""
from __future__ import annotations

import re
from http.cookies import SimpleCookie

import pytest

from schemas.tokens import issue

from .conftest import SECRET, new_org

pytestmark = pytest.mark.integration


def cookies_set(response) -> SimpleCookie:
    jar = SimpleCookie()
    for header in response.headers.getall("Set-Cookie", []):
        jar.load(header)
    return jar


async def get(booking, path: str, cookies: dict[str, str] | None = None):
    booking.client.session.cookie_jar.clear()  # only what each request names is sent
    header = "; ".join(f"{k}={v}" for k, v in (cookies or {}).items())
    return await booking.client.get(path, headers={"Cookie": header} if header else {}, allow_redirects=False)


async def post(booking, path: str, form: dict, cookies: dict[str, str]):
    booking.client.session.cookie_jar.clear()
    header = "; ".join(f"{k}={v}" for k, v in cookies.items())
    return await booking.client.post(path, data=form, headers={"Cookie": header} if header else {},
                                     allow_redirects=False)


async def csrf(booking) -> str:
    """The CSRF token a browser gets with the sign-in page (cookie and hidden field alike)."""
    response = await get(booking, "/dashboard")
    value = cookies_set(response)["labbook_csrf"].value
    assert f'name="csrf" value="{value}"' in await response.text()
    return value


async def signed_in(booking, role: str = "staff") -> tuple[str, str]:
    token = issue(SECRET, org="cluster", role=role)
    value = await csrf(booking)
    response = await post(booking, "/dashboard/login", {"token": token, "csrf": value}, {"labbook_csrf": value})
    assert response.status == 303 and response.headers["Location"] == "/dashboard"
    return cookies_set(response)["labbook_session"].value, value


async def test_without_a_session_the_page_is_the_sign_in_form(booking):
    response = await get(booking, "/dashboard")
    page = await response.text()
    assert response.status == 200 and '<form id="signin" method="post" action="/dashboard/login"' in page
    assert 'data-session="signed-out"' in page and 'id="signout"' not in page
    cookie = cookies_set(response)["labbook_csrf"]
    assert cookie["httponly"] and cookie["samesite"] == "Strict" and not cookie["secure"]  # plain http here
    assert "form-action 'self'" in response.headers["Content-Security-Policy"]


async def test_a_staff_token_opens_a_session_in_an_http_only_strict_cookie(booking):
    token = issue(SECRET, org="cluster", role="staff")
    value = await csrf(booking)
    response = await post(booking, "/dashboard/login", {"token": f"Bearer {token}", "csrf": value},
                          {"labbook_csrf": value})
    assert response.status == 303 and response.headers["Location"] == "/dashboard"
    cookie = cookies_set(response)["labbook_session"]
    assert cookie.value == token and cookie["httponly"] and cookie["samesite"] == "Strict"
    assert cookie["path"] == "/" and 0 < int(cookie["max-age"]) <= 12 * 3600
    page = await (await get(booking, "/dashboard", {"labbook_session": cookie.value})).text()
    assert 'data-session="signed-in"' in page and 'id="signout"' in page and 'id="signin"' not in page
    assert token not in page  # the page's script never holds it


async def test_the_session_reads_the_staff_routes_and_changes_nothing(booking):
    session, _ = await signed_in(booking)
    queue = await get(booking, "/v1/queue", {"labbook_session": session})
    assert queue.status == 200 and "by_status" in await queue.json()
    status, made = await booking.submit(booking.auth("supplier", new_org()))
    assert status == 201
    booking.client.session.cookie_jar.clear()
    cancel = await booking.client.post(f"/v1/requests/{made['id']}/cancel", json={},
                                       headers={"Cookie": f"labbook_session={session}"})
    assert cancel.status == 401  # a cookie alone never changes anything


@pytest.mark.parametrize("role", ["supplier", "lab"])
async def test_a_supplier_or_lab_token_is_refused_and_opens_nothing(booking, role):
    value = await csrf(booking)
    token = issue(SECRET, org=new_org(), role=role)
    response = await post(booking, "/dashboard/login", {"token": token, "csrf": value}, {"labbook_csrf": value})
    page = await response.text()
    assert response.status == 403 and "labbook_session" not in cookies_set(response)
    assert f"A {role} token cannot open the staff dashboard" in page and 'id="signin"' in page
    # Set by hand, such a cookie opens no staff page either.
    assert 'data-session="signed-out"' in await (await get(booking, "/dashboard", {"labbook_session": token})).text()
    assert (await get(booking, "/v1/queue", {"labbook_session": token})).status == 404


async def test_a_bad_token_is_refused_on_the_form_saying_why(booking):
    value = await csrf(booking)
    response = await post(booking, "/dashboard/login", {"token": "not-a-token", "csrf": value},
                          {"labbook_csrf": value})
    assert response.status == 401 and "The token was refused: invalid bearer token" in await response.text()
    empty = await post(booking, "/dashboard/login", {"token": " ", "csrf": value}, {"labbook_csrf": value})
    assert empty.status == 400 and "Paste a staff token first." in await empty.text()


@pytest.mark.parametrize("form_csrf, cookie_csrf", [(None, None), ("forged", None), ("forged", "other")])
async def test_a_form_without_the_browsers_csrf_token_is_refused(booking, form_csrf, cookie_csrf):
    form = {"token": issue(SECRET, org="cluster", role="staff"), **({"csrf": form_csrf} if form_csrf else {})}
    response = await post(booking, "/dashboard/login", form, {"labbook_csrf": cookie_csrf} if cookie_csrf else {})
    body = await response.json()
    assert response.status == 403 and body["error"]["code"] == "csrf_failed"
    assert "labbook_session" not in cookies_set(response)


async def test_sign_out_clears_the_session(booking):
    session, value = await signed_in(booking)
    refused = await post(booking, "/dashboard/logout", {}, {"labbook_session": session, "labbook_csrf": value})
    assert refused.status == 403  # no CSRF token in the form: a cross-site form cannot sign anyone out
    response = await post(booking, "/dashboard/logout", {"csrf": value},
                          {"labbook_session": session, "labbook_csrf": value})
    assert response.status == 303
    cleared = cookies_set(response)["labbook_session"]
    assert cleared.value == "" and (cleared["max-age"] == "0" or re.search("1970", cleared["expires"]))


async def test_the_remembered_language_is_the_sign_in_forms_and_its_refusals(booking):
    value = await csrf(booking)
    supplier = issue(SECRET, org=new_org(), role="supplier")
    remembered = {"labbook_csrf": value, "labbook_lang": "ru"}
    refused = await post(booking, "/dashboard/login", {"token": supplier, "csrf": value}, remembered)
    page = await refused.text()
    assert refused.status == 403 and '<html lang="ru">' in page
    assert ("Токен роли supplier не открывает панель кластера; войдите с токеном staff или admin."
            in page)
    english = await post(booking, "/dashboard/login", {"token": "", "csrf": value}, {"labbook_csrf": value})
    assert english.status == 400 and "Paste a staff token first." in await english.text()


async def test_the_printable_report_comes_in_the_remembered_language_unless_asked_otherwise(booking):
    session, _ = await signed_in(booking)
    remembered = await get(booking, "/dashboard/localisation", {"labbook_session": session, "labbook_lang": "ru"})
    asked = await get(booking, "/dashboard/localisation?lang=en", {"labbook_session": session, "labbook_lang": "ru"})
    assert remembered.status == 200 and '<html lang="ru">' in await remembered.text()
    assert asked.status == 200 and '<html lang="en">' in await asked.text()
