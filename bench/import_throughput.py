"""Bulk import throughput: ``etagere import``'s engine at 1, 4 and 8 concurrent uploads next to a
plain sequential loop over the official SDK, in the same run, against one real server.

Run from the repository root: ``python bench/import_throughput.py`` (a few minutes on 2 cores;
``--files`` and ``--runs`` to change the size).

A real ``etagere serve`` (SQLite, two processing workers) is started as the tests start it.
Each strategy uploads the same mix of files (text, Markdown, HTML, small PDFs), made unique per
run so that neither deduplication nor the embedding cache helps, into a fresh library; the
clock gives the upload phase alone, then the time until every document is processed. The
table shows medians over the runs and the ratio to the SDK loop.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Mapping
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # ``python bench/...`` puts bench/, not the root, first
    sys.path.insert(0, str(ROOT))

from mistralai.client import Mistral  # noqa: E402
from tests.extraction.extraction_fixtures import write_text_pdf  # noqa: E402
from tests.support.servers import EtagereServer, StoreLocation  # noqa: E402

from etagere.transfer.connection import Connection  # noqa: E402
from etagere.transfer.importer import FileResult, Importer, ImportOptions  # noqa: E402
from etagere.transfer.remote import LibraryApi  # noqa: E402
from etagere.transfer.sources import Source, find_sources  # noqa: E402

SETTLED = {"done", "error", "missing_content"}
TIMEOUT_S = 900
MB = 1_000_000


class _Quiet:
    """An import observer that shows nothing (the benchmark prints its own table)."""

    def uploading(self, files: int, size: int) -> None: ...
    def sent(self, nbytes: int) -> None: ...
    def finished(self, result: FileResult) -> None: ...
    def processing(self, settled: int, total: int, counts: Mapping[str, int]) -> None: ...


def make_files(folder: Path, count: int, tag: str) -> list[Source]:
    """``count`` files of about 4-40 kB, their text unique to ``tag``."""
    folder.mkdir(parents=True)
    for i in range(count):
        lines = [f"{tag} record {i} line {n}: ledger {i * 31 + n}." for n in range(60)]
        body = "\n".join(lines * (1 + i % 8))
        kind = i % 4
        if kind == 0:
            (folder / f"f{i}.txt").write_text(body)
        elif kind == 1:
            (folder / f"f{i}.md").write_text(f"# {tag} {i}\n\n{body}")
        elif kind == 2:
            (folder / f"f{i}.html").write_text(f"<html><body><p>{body}</p></body></html>")
        else:
            write_text_pdf(folder / f"f{i}.pdf", ["\n".join(lines[:45]), "\n".join(lines[45:])])
    return find_sources([str(folder)])


def sdk_loop(server: EtagereServer, library_id: str, sources: list[Source]) -> None:
    client = Mistral(api_key=server.api_key, server_url=server.url)
    for source in sources:
        with source.open() as stream:
            client.beta.libraries.documents.upload(
                library_id=library_id, file={"file_name": source.name, "content": stream}
            )


def importer(concurrency: int) -> Callable[[EtagereServer, str, list[Source]], None]:
    def run(server: EtagereServer, library_id: str, sources: list[Source]) -> None:
        connection = Connection(server.url, server.api_key)
        with connection.client(max_connections=concurrency + 2) as http:
            api = LibraryApi(http)
            library = api.find_library(library_id)
            results = Importer(api, library, ImportOptions(concurrency=concurrency), _Quiet()).run(
                sources
            )
        assert all(r.outcome == "uploaded" for r in results), "every file is new"

    return run


def wait_processed(server: EtagereServer, library_id: str, count: int) -> None:
    deadline = time.monotonic() + TIMEOUT_S
    with server.http() as http:
        while time.monotonic() < deadline:
            statuses: list[str] = []
            page = 0
            while True:
                body = http.get(
                    f"/v1/libraries/{library_id}/documents", params={"page": page, "page_size": 100}
                ).json()
                statuses += [d["process_status"] for d in body["data"]]
                if not body["pagination"]["has_more"]:
                    break
                page += 1
            if len(statuses) == count and all(s in SETTLED for s in statuses):
                return
            time.sleep(0.25)
    raise RuntimeError("documents not processed in time")


STRATEGIES: dict[str, Callable[[EtagereServer, str, list[Source]], None]] = {
    "SDK loop (sequential)": sdk_loop,
    "etagere import, 1 upload at a time": importer(1),
    "etagere import, 4 concurrent uploads": importer(4),
    "etagere import, 8 concurrent uploads": importer(8),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", type=int, default=40)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    upload_s: dict[str, list[float]] = {name: [] for name in STRATEGIES}
    total_s: dict[str, list[float]] = {name: [] for name in STRATEGIES}
    size = 0
    with tempfile.TemporaryDirectory(prefix="etagere-bench-import-") as tmp:
        server = EtagereServer(store=StoreLocation(data_dir=Path(tmp) / "data"))
        server.start(extra_env={"ETAGERE_WORKERS": "2"})
        try:
            for run in range(args.runs):
                for n, (name, strategy) in enumerate(STRATEGIES.items()):
                    tag = f"run{run}s{n}"
                    sources = make_files(Path(tmp) / tag, args.files, tag)
                    size = sum(s.size for s in sources)
                    with server.http() as http:
                        library_id = http.post("/v1/libraries", json={"name": tag}).json()["id"]
                    start = time.perf_counter()
                    strategy(server, library_id, sources)
                    upload_s[name].append(time.perf_counter() - start)
                    wait_processed(server, library_id, len(sources))
                    total_s[name].append(time.perf_counter() - start)
                    print(f"run {run + 1} {name}: {upload_s[name][-1]:.2f} s upload, "
                          f"{total_s[name][-1]:.2f} s processed", file=sys.stderr)  # fmt: skip
        finally:
            server.stop()
    print_table(args.files, size, upload_s, total_s)


def print_table(
    files: int, size: int, upload_s: dict[str, list[float]], total_s: dict[str, list[float]]
) -> None:
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"\n{files} files, {size / MB:.2f} MB per run; load average {load}\n")
    print("| strategy | upload files/s | upload MB/s | x vs SDK | processed files/s | x vs SDK |")
    print("|---|---:|---:|---:|---:|---:|")
    base_up = statistics.median(upload_s["SDK loop (sequential)"])
    base_total = statistics.median(total_s["SDK loop (sequential)"])
    for name in STRATEGIES:
        up = statistics.median(upload_s[name])
        total = statistics.median(total_s[name])
        print(
            f"| {name} | {files / up:.1f} | {size / MB / up:.2f} | {base_up / up:.2f} "
            f"| {files / total:.2f} | {base_total / total:.2f} |"
        )


if __name__ == "__main__":
    main()
