"""Reach the process's domain services from a request."""

from __future__ import annotations

from fastapi import Request

from etagere.runtime import Services


def services(request: Request) -> Services:
    result: Services = request.app.state.services
    return result
