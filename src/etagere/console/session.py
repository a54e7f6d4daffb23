"""The console's side of sessions: the cookie, the CSRF check, the signed-in caller.

Reads (GET) need a live session; every unsafe request must also echo the session's CSRF token,
as the ``csrf`` form field or the ``X-CSRF-Token`` header (uploads and other scripted calls).
The cookie is ``HttpOnly`` (scripts cannot read it), ``SameSite=Strict`` (other sites cannot
send it) and ``Secure`` when the console is served over HTTPS.
"""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import Depends, Request, Response
from starlette.datastructures import FormData

from etagere.core.errors import Forbidden
from etagere.domain.sessions import ConsoleSession
from etagere.http.state import services

COOKIE = "etagere_session"
# Before sign-in there is no session: the sign-in form is protected by a double-submit token.
SIGN_IN_COOKIE = "etagere_sign_in"
CSRF_FIELD = "csrf"
CSRF_HEADER = "x-csrf-token"


class CsrfRefused(Forbidden):
    """An unsafe request without the session's CSRF token."""

    code = "csrf_refused"


def signed_in(request: Request) -> ConsoleSession:
    """The live session of this browser; ``Unauthenticated`` sends it to the sign-in page."""
    session = services(request).sessions.resolve(request.cookies.get(COOKIE))
    request.state.session = session
    return session


SessionDep = Annotated[ConsoleSession, Depends(signed_in)]


async def checked_form(request: Request, session: ConsoleSession) -> FormData:
    """The submitted form, once its CSRF token matches the session's."""
    form = await request.form()
    sent = form.get(CSRF_FIELD) or request.headers.get(CSRF_HEADER) or ""
    check_csrf(session.csrf_token, str(sent))
    return form


def check_csrf(expected: str, sent: str) -> None:
    """Refuse unless ``sent`` equals the expected token (compared in constant time)."""
    if not expected or not sent or not secrets.compare_digest(sent, expected):
        raise CsrfRefused("This form has expired or did not come from the console: reload it")


def set_cookie(request: Request, response: Response, name: str, value: str) -> None:
    response.set_cookie(
        name,
        value,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        path="/",
    )


def forget_cookie(request: Request, response: Response, name: str) -> None:
    response.delete_cookie(
        name, httponly=True, samesite="strict", secure=request.url.scheme == "https", path="/"
    )
