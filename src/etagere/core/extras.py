"""Optional dependencies: a setting that needs one says which extra to install.

PostgreSQL (psycopg), S3 (boto3) and the Mistral embedder (mistralai) are extras of the
package, so that ``pip install etagere`` stays small beside other tools; choosing them in the
settings without the extra fails at start with the ``pip install`` line to run.
"""

from __future__ import annotations

import importlib


class MissingExtra(Exception):
    """A setting needs an optional dependency that is not installed."""

    def __init__(self, module: str, extra: str, needed_for: str) -> None:
        super().__init__(
            f"{needed_for} needs the optional dependency {module!r}, which is not installed: "
            f"pip install 'etagere[{extra}]'"
        )
        self.extra = extra


def require_extra(module: str, extra: str, needed_for: str) -> None:
    """Raise ``MissingExtra`` naming ``extra`` unless ``module`` can be imported."""
    try:
        importlib.import_module(module)
    except ImportError as exc:
        raise MissingExtra(module, extra, needed_for) from exc
