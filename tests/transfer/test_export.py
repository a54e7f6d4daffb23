"""``etagere export`` writes the original files and a manifest that ``etagere import`` reads
back: a library goes out and comes back in with the same bytes, names and attributes."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ServerFactory, client_for
from tests.documents.conftest import list_all
from tests.support.servers import _env
from tests.transfer.test_import import run_import
from tests.transfer.tree import build_tree


def run_export(server_url: str, key: str, *args: str) -> dict[str, object]:
    done = subprocess.run(
        [sys.executable, "-m", "etagere", "export", *args,
         "--server-url", server_url, "--api-key", key, "--json"],
        capture_output=True, text=True, timeout=600, env=_env(),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)  # type: ignore[no-any-return]


@pytest.mark.parametrize("store", ["sqlite"], indirect=True)
def test_export_then_import_elsewhere_round_trips(
    start_server: ServerFactory, tmp_path: Path
) -> None:
    server = start_server(workers=2)
    tree = build_tree(tmp_path / "tree", files=20)
    code, imported = run_import(server.url, server.api_key, str(tree.root / "team-0"),
                                str(tree.root / "bundle.zip"), "--library", "Source",
                                "--create", "--wait", "--attr", "origin=export-test")  # fmt: skip
    assert code == 0, imported
    client = client_for(server, server.api_key)
    source = {d.hash: d for d in list_all(client, imported["library"]["id"]).values()}

    dest = tmp_path / "export"
    report = run_export(server.url, server.api_key, "--library", "Source", "--with-text", str(dest))
    assert report["documents"] == report["downloaded"] == len(source)
    lines = [json.loads(line) for line in (dest / "manifest.jsonl").read_text().splitlines()]
    assert {line["hash"] for line in lines} == set(source)
    for line in lines:
        original = source[line["hash"]]
        data = (dest / line["file"]).read_bytes()
        assert hashlib.sha256(data).hexdigest() == line["hash"], "the original bytes"
        assert line["attributes"] == original.attributes
        assert line["process_status"] == "done" and line["text"]
        assert line["name"] == original.name and line["id"] == original.id
        sidecar = dest / (line["file"] + ".meta.json")
        assert json.loads(sidecar.read_text()) == original.attributes

    again = run_export(server.url, server.api_key, "--library", "Source", str(dest))
    assert again["downloaded"] == 0 and again["already_there"] == len(source), "resumes"

    code, copied = run_import(server.url, server.api_key, str(dest / "files"),
                              "--library", "Copy", "--create")  # fmt: skip
    assert code == 0, copied
    assert copied["counts"] == {"uploaded": len(source)}
    copy = {d.hash: d for d in list_all(client, copied["library"]["id"]).values()}
    assert set(copy) == set(source)
    for digest, document in copy.items():
        assert document.name == source[digest].name
        assert document.attributes == source[digest].attributes
