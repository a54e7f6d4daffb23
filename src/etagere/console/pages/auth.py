"""Signing in with an API key, and out."""

from __future__ import annotations

import secrets

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse

from etagere.console.render import page
from etagere.console.session import (
    COOKIE,
    CSRF_FIELD,
    SIGN_IN_COOKIE,
    SessionDep,
    check_csrf,
    checked_form,
    forget_cookie,
    set_cookie,
)
from etagere.core.errors import Unauthenticated
from etagere.http.state import services

router = APIRouter(include_in_schema=False)


@router.get("/")
def home(request: Request) -> Response:
    """Signed in: the libraries; otherwise the sign-in page."""
    try:
        services(request).sessions.resolve(request.cookies.get(COOKIE))
    except Unauthenticated:
        return RedirectResponse("/sign-in", status_code=303)
    return RedirectResponse("/libraries", status_code=303)


@router.get("/sign-in")
def sign_in_form(request: Request) -> Response:
    return _sign_in_page(request)


@router.post("/sign-in")
async def sign_in(request: Request) -> Response:
    """Open a session with the API key typed in; the cookie secret never appears in a page."""
    form = await request.form()
    expected = request.cookies.get(SIGN_IN_COOKIE, "")
    check_csrf(expected, str(form.get(CSRF_FIELD, "")))
    try:
        opened = services(request).sessions.open(str(form.get("api_key", "")))
    except Unauthenticated:
        return _sign_in_page(request, "This API key is not valid (or it was revoked).", 401)
    response = RedirectResponse("/libraries", status_code=303)
    set_cookie(request, response, COOKIE, opened.secret)
    forget_cookie(request, response, SIGN_IN_COOKIE)
    return response


@router.post("/sign-out")
async def sign_out(request: Request, session: SessionDep) -> Response:
    await checked_form(request, session)
    services(request).sessions.close(request.cookies.get(COOKIE))
    response = RedirectResponse("/sign-in?signed_out=1", status_code=303)
    forget_cookie(request, response, COOKIE)
    return response


def _sign_in_page(request: Request, error: str | None = None, status: int = 200) -> Response:
    token = secrets.token_urlsafe(32)
    response = page(
        request,
        "sign_in.html",
        status_code=status,
        sign_in_token=token,
        error=error,
        signed_out="signed_out" in request.query_params,
    )
    set_cookie(request, response, SIGN_IN_COOKIE, token)
    return response
