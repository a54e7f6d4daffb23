"""The shape of the code: imports point down the floors, SQL and HTTP stay on their floors.

docs/ARCHITECTURE.md describes the floors; this test keeps the description true. A module may
import its own package and any package on a lower floor, never one above.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "etagere"

# Higher number = higher floor. Packages on one floor may not import each other.
FLOORS: dict[str, int] = {
    "__main__": 100,
    "cli": 90,
    # clients of a running server over HTTP (import/export, framework retrievers)
    "integrations": 89,
    "transfer": 88,
    "http": 80,
    "console": 85,
    "agents": 70,
    "runtime": 60,
    "conversations": 58,
    "settings": 55,
    "domain": 50,
    "ingestion": 40,
    "observability": 30,
    "search": 20,
    "storage": 10,
    "core": 0,
    "logs": 0,
    "__init__": 0,
}

# Where SQLAlchemy may be imported: the metadata store, and the PostgreSQL search engine, whose
# ranking runs inside PostgreSQL (its SQL is its algorithm).
SQL_ALLOWED = ("storage/", "search/index/postgres.py")
# Where web-framework types may appear: the HTTP faces (REST, console, the /mcp endpoint).
HTTP_ALLOWED = ("http/", "console/", "cli/", "agents/http.py")
HTTP_MODULES = ("fastapi", "starlette")


def _modules() -> Iterator[tuple[str, Path]]:
    for path in sorted(PACKAGE.rglob("*.py")):
        yield path.relative_to(PACKAGE).as_posix(), path


def _imports(path: Path) -> Iterator[str]:
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module


def _package_of(relative: str) -> str:
    return relative.split("/")[0].removesuffix(".py")


def _target_package(module: str) -> str | None:
    parts = module.split(".")
    if parts[0] != "etagere":
        return None
    return parts[1] if len(parts) > 1 else "__init__"


def test_every_package_has_a_floor() -> None:
    unknown = {_package_of(rel) for rel, _ in _modules()} - set(FLOORS)
    assert not unknown, f"give these packages a floor in FLOORS and ARCHITECTURE.md: {unknown}"


def test_imports_point_down() -> None:
    upward = []
    for relative, path in _modules():
        source = _package_of(relative)
        for module in _imports(path):
            target = _target_package(module)
            if target is None or target == source:
                continue
            if FLOORS[target] >= FLOORS[source]:
                upward.append(f"{relative} imports {module} ({source} -> {target})")
    assert not upward, "imports must point to lower floors:\n" + "\n".join(upward)


@pytest.mark.parametrize(
    ("libraries", "allowed"), [(("sqlalchemy",), SQL_ALLOWED), (HTTP_MODULES, HTTP_ALLOWED)]
)
def test_frameworks_stay_on_their_floor(
    libraries: tuple[str, ...], allowed: tuple[str, ...]
) -> None:
    leaks = [
        f"{relative} imports {module}"
        for relative, path in _modules()
        if not relative.startswith(allowed)
        for module in _imports(path)
        if module.split(".")[0] in libraries
    ]
    assert not leaks, "\n".join(leaks)


def test_core_imports_nothing_of_etagere() -> None:
    found = [
        f"{relative} imports {module}"
        for relative, path in _modules()
        if relative.startswith("core/")
        for module in _imports(path)
        if _target_package(module) not in (None, "core")
    ]
    assert not found, "\n".join(found)
