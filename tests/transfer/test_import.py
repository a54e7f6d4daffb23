"""``etagere import`` against real servers: a 200-file tree interrupted by Ctrl-C and resumed.

The CLI runs as a user runs it (a subprocess, over HTTP only) through a proxy that slows
uploads and answers 429 and 503 on cue, so retries, ``Retry-After`` and resuming are all
exercised; the proxy also counts what reached the server, which proves each file was sent
exactly once.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from mistralai.client import Mistral

from tests.conftest import ServerFactory, client_for
from tests.documents.conftest import list_all
from tests.support.proxy import Faults, fault_proxy
from tests.support.servers import EtagereServer, _env
from tests.transfer.tree import build_tree

TIMEOUT_S = 900


def import_command(server_url: str, key: str, *args: str) -> list[str]:
    return [
        sys.executable, "-m", "etagere", "import", *args,
        "--server-url", server_url, "--api-key", key, "--json",
    ]  # fmt: skip


def run_import(server_url: str, key: str, *args: str) -> tuple[int, dict[str, Any]]:
    done = subprocess.run(
        import_command(server_url, key, *args),
        capture_output=True, text=True, timeout=TIMEOUT_S, env=_env(),
    )  # fmt: skip
    assert done.stdout, done.stderr
    return done.returncode, json.loads(done.stdout)


def _interruptible() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def by_name(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {f["name"]: f for f in report["files"]}


@pytest.mark.parametrize("store", ["sqlite"], indirect=True)
def test_interrupted_import_resumes_and_sends_each_file_once(
    start_server: ServerFactory, tmp_path: Path
) -> None:
    server = start_server(workers=2, max_upload_mb=1)
    tree = build_tree(tmp_path / "tree")
    # Once half the files arrived, the proxy holds the rest until Ctrl-C was sent: on a loaded
    # machine the import could otherwise end before this thread sends it (a delay per upload
    # was not always enough).
    faults = Faults(
        answers={3: 429, 11: 503, 12: 503, 40: 429},
        upload_delay_s=0.05,
        hold_after_created=tree.accepted // 2,
    )
    with fault_proxy(server.url, faults) as (proxy_url, proxy):
        args = [str(tree.root), "--library", "Imported", "--create", "--attr", "batch=7"]
        first = subprocess.Popen(
            import_command(proxy_url, server.api_key, *args, "--concurrency", "4"),
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_env(),
            # Ctrl-C as in a terminal, even when this suite was started in the background
            # (a shell starts background jobs with SIGINT ignored, and children inherit that).
            preexec_fn=_interruptible,
        )  # fmt: skip
        deadline = time.monotonic() + TIMEOUT_S
        while proxy.created < tree.accepted // 2 and first.poll() is None:
            assert time.monotonic() < deadline, "the import never reached halfway"
            time.sleep(0.02)
        assert first.poll() is None, f"the import ended before Ctrl-C: {first.communicate()}"
        first.send_signal(signal.SIGINT)
        time.sleep(0.5)  # the signal is handled (within 0.1 s) before the held uploads go on
        faults.resume.set()
        out, err = first.communicate(timeout=TIMEOUT_S)
        assert first.returncode == 130, err
        interrupted = json.loads(out)
        assert interrupted["interrupted"] is True
        sent_first = interrupted["counts"]["uploaded"]
        assert tree.accepted // 2 <= sent_first < tree.accepted
        assert interrupted["counts"]["not_sent"] > 0
        client = client_for(server, server.api_key)
        library_id = interrupted["library"]["id"]
        assert len(list_all(client, library_id)) == sent_first, "nothing sent went unreported"

        code, resumed = run_import(proxy_url, server.api_key, *args, "--wait")

    assert proxy.injected == {429: 2, 503: 2}, "the faults were met and retried"
    assert proxy.upload_answers[201] == tree.accepted, "each distinct file created once"
    assert proxy.upload_answers[200] == 0, "nothing the server held was sent again"
    assert code == 1, "refused files and a processing error make the import fail"
    counts = resumed["counts"]
    assert counts["uploaded"] == tree.accepted - sent_first
    assert counts["exists"] == sent_first + len(tree.duplicates)
    assert counts["refused"] == len(tree.refused)
    assert "not_sent" not in counts and "failed" not in counts
    files = by_name(resumed)
    for name, status in tree.refused.items():
        assert files[name]["outcome"] == "refused"
        assert files[name]["reason"].startswith(f"{status}:"), files[name]
    assert "doc-000.txt" in files[tree.duplicates[0]]["reason"], "says what it duplicates"
    assert resumed["processing"] == {"done": tree.accepted - 1, "error": 1}
    assert files["broken.pdf"]["process_status"] == "error"
    assert files["broken.pdf"]["processing_reason"]
    _check_library(client, library_id, tree.accepted, tree.sidecar_attributes, tree.front_matter)


def _check_library(
    client: Mistral,
    library_id: str,
    expected: int,
    sidecars: dict[str, dict[str, object]],
    front_matter: dict[str, dict[str, object]],
) -> None:
    documents = {d.name: d for d in list_all(client, library_id).values()}
    assert len(documents) == expected
    for name, attributes in {**sidecars, **front_matter}.items():
        got = documents[name].attributes or {}
        assert {**attributes, "batch": 7}.items() <= got.items(), (name, got)
    assert all((d.attributes or {}).get("batch") == 7 for d in documents.values())


@pytest.mark.parametrize("store", ["postgres"], indirect=True)
def test_import_into_a_postgresql_server_with_globs_and_dry_run(
    start_server: ServerFactory, tmp_path: Path
) -> None:
    server: EtagereServer = start_server(workers=2, max_upload_mb=1)
    tree = build_tree(tmp_path / "tree", files=30)
    pattern = str(tree.root / "team-*")
    code, planned = run_import(server.url, server.api_key, pattern, "--library", "pg",
                               "--create", "--dry-run", "--exclude", "*.docx")  # fmt: skip
    assert code == 0, planned
    assert planned["library"] is None, "a dry run creates nothing"
    assert set(planned["counts"]) == {"would_upload", "exists"}
    assert not any(f["name"].endswith(".docx") for f in planned["files"])
    client = client_for(server, server.api_key)
    assert client.beta.libraries.list().data == []

    code, report = run_import(
        server.url, server.api_key, pattern, str(tree.root / "bundle.zip"),
        "--library", "pg", "--create", "--include", "*.txt", "--include", "*.pdf", "--wait",
    )  # fmt: skip
    assert code == 1, "broken.pdf fails processing"
    names = set(by_name(report))
    assert names and all(n.endswith((".txt", ".pdf")) for n in names)
    assert {"note-020.txt", "broken.pdf"} <= names, "zip entries and nested folders are read"
    assert report["counts"]["uploaded"] == len(names) - 1  # one duplicate
    assert report["processing"]["error"] == 1
    library = client.beta.libraries.get(library_id=report["library"]["id"])
    assert library.nb_documents == len(names) - 1
    zip_doc = next(d for d in list_all(client, library.id).values() if d.name == "note-020.txt")
    assert zip_doc.attributes == {"source": "zip", "rank": 1}

    code, again = run_import(server.url, server.api_key, pattern, "--library", library.id,
                             "--include", "*.txt")  # fmt: skip
    assert code == 0 and "uploaded" not in again["counts"], "a second run sends nothing"
