"""Liveness and readiness probes for process managers and load balancers."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from etagere.core.errors import StoreUnavailable
from etagere.http.state import services

router = APIRouter(tags=["operations"])


@router.get("/healthz")
def healthz() -> dict[str, str]:
    """The process is up and serving HTTP."""
    return {"status": "ok"}


@router.get("/readyz")
def readyz(request: Request) -> JSONResponse:
    """The process can do its work: the metadata store answers, the blob store is writable,
    and searches are answered (not while the search indexes load or are rebuilt)."""
    svc = services(request)
    checks: dict[str, str] = {}
    try:
        svc.db.ping()
        checks["database"] = "ok"
    except StoreUnavailable as exc:
        checks["database"] = f"error: {exc.message}"
    try:
        svc.blobs.check()
        checks["blob_store"] = "ok"
    except OSError as exc:
        checks["blob_store"] = f"error: {exc}"
    checks["search"] = "ok" if svc.search_backend.ready() else "loading"
    ready = all(v == "ok" for v in checks.values())
    return JSONResponse(
        {"status": "ok" if ready else "unavailable", "checks": checks},
        status_code=200 if ready else 503,
    )
