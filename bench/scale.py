"""Scale-out: ingestion documents/s and search QPS with 1, 2 and 4 processes, with CPU use.

Run from the repository root: ``python bench/scale.py`` (about 10 minutes on 2 cores).
Options: ``--processes 1,2,4``, ``--stores postgres,sqlite``, ``--docs 200``, ``--seconds 15``.

For each store and each process count N, on a fresh database:

* **ingestion**: one ``etagere serve --workers 0`` receives ``--docs`` SciFact abstracts (one
  document each, about two chunks), then N ``etagere worker`` processes are started and the
  clock runs until every document is ``done`` (worker start-up included: that is what an
  operator who adds workers gets);
* **search**: the workers stop, N API processes serve the library and ``CLIENTS`` client threads
  spread hybrid searches (SciFact claims) over them for ``--seconds``.

CPU is measured with psutil: the etagere processes (sandboxed extraction children included),
the load generator (which runs on the same cores), and the rest of the machine, which on a quiet
machine is the database server: with PostgreSQL the coordination overhead of more processes
shows up there. On a 2-core machine the curve flattens at 2: the table is printed anyway.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, suppress
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # ``python bench/scale.py`` puts bench/, not the root, first
    sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
import psutil  # noqa: E402
from tests.support import postgres  # noqa: E402
from tests.support.servers import EtagereServer, StoreLocation  # noqa: E402

EVAL_DIR = Path(os.environ.get("ETAGERE_EVAL_DIR") or ROOT.parent / "shared" / "eval") / "scifact"
CLIENTS = 8
TOP_K = 10
INGEST_TIMEOUT_S = 1800
UPLOAD_THREADS = 4


@dataclass(frozen=True)
class Usage:
    """CPU seconds consumed over a wall-clock interval, as average cores busy."""

    etagere: float
    other: float  # the rest of the machine: the database server, on a quiet machine
    client: float
    peak_rss_mb: float = 0.0  # largest resident memory of one etagere process


@dataclass(frozen=True)
class Row:
    store: str
    processes: int
    docs_per_s: float
    ingest_cpu: Usage
    qps: float
    p50_ms: float
    p95_ms: float
    search_cpu: Usage


# --- data ------------------------------------------------------------------------------------


def scifact(docs: int) -> tuple[list[tuple[str, str]], list[str]]:
    """``docs`` (id, text) abstracts and every SciFact claim, for uploads and queries."""
    corpus: list[tuple[str, str]] = []
    with gzip.open(EVAL_DIR / "corpus.jsonl.gz", "rt", encoding="utf-8") as lines:
        for line in lines:
            record = json.loads(line)
            corpus.append((record["_id"], f"{record['title']}\n\n{record['text']}"))
            if len(corpus) == docs:
                break
    with (EVAL_DIR / "queries.jsonl").open(encoding="utf-8") as lines:
        queries = [json.loads(line)["text"] for line in lines]
    return corpus, queries


# --- processes and CPU -----------------------------------------------------------------------


class CpuMeter:
    """CPU seconds used by a growing set of processes since they were tracked.

    A sampler thread keeps each process's last reading, because a process's CPU times vanish
    with it: a worker stopped at the end of a run still counts up to its exit. Children that
    were waited for (sandboxed extractions) are included through ``children_*`` times.
    """

    def __init__(self) -> None:
        self._start: dict[int, float] = {}
        self._last: dict[int, float] = {}
        self._processes: dict[int, psutil.Process] = {}
        self.peak_rss: dict[int, int] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._sampler = threading.Thread(target=self._sample_forever, daemon=True)
        self._sampler.start()

    def track(self, pid: int, *, from_zero: bool = False) -> None:
        """Count ``pid`` from now on (or all of its CPU, for a process just started)."""
        process = psutil.Process(pid)
        reading = _cpu_seconds(process)
        with self._lock:
            self._processes[pid] = process
            self._start[pid] = 0.0 if from_zero else reading
            self._last[pid] = reading

    def used(self) -> float:
        """CPU seconds since tracking started, summed over every tracked process."""
        self._sample()
        with self._lock:
            return sum(self._last[pid] - self._start[pid] for pid in self._processes)

    def close(self) -> None:
        self._stop.set()

    def _sample_forever(self) -> None:
        while not self._stop.wait(0.2):
            self._sample()

    def _sample(self) -> None:
        with self._lock:
            for pid, process in self._processes.items():
                with suppress(psutil.NoSuchProcess):
                    self._last[pid] = _cpu_seconds(process)
                    rss = process.memory_info().rss
                    self.peak_rss[pid] = max(rss, self.peak_rss.get(pid, 0))


def _cpu_seconds(process: psutil.Process) -> float:
    times = process.cpu_times()
    return times.user + times.system + times.children_user + times.children_system


class Measured:
    """Wall time and average cores busy: etagere processes, everything else, this load client.

    "Everything else" is the whole machine's busy time minus etagere and the client: on a
    machine that runs nothing else, that is the database server (PostgreSQL backends come and
    go with connections, so they are measured as the remainder rather than one by one).
    """

    def __init__(self, etagere: Sequence[int]) -> None:
        self.etagere = CpuMeter()
        for pid in etagere:
            self.etagere.track(pid)
        self._client = psutil.Process()
        self._client_start = self._client_cpu()
        self._machine_start = _machine_busy()
        self._started = time.perf_counter()
        self.wall = 0.0
        self.usage = Usage(0.0, 0.0, 0.0)

    def __enter__(self) -> Measured:
        return self

    def __exit__(self, *exc: object) -> None:
        self.wall = time.perf_counter() - self._started
        etagere = self.etagere.used()
        client = self._client_cpu() - self._client_start
        machine = _machine_busy() - self._machine_start
        self.etagere.close()
        self.usage = Usage(
            etagere / self.wall,
            max(machine - etagere - client, 0.0) / self.wall,
            client / self.wall,
            max(self.etagere.peak_rss.values(), default=0) / 1e6,
        )

    def _client_cpu(self) -> float:
        times = self._client.cpu_times()
        return times.user + times.system


def _machine_busy() -> float:
    """CPU seconds the whole machine spent not idle, summed over cores."""
    times = psutil.cpu_times()
    return float(sum(times)) - times.idle - getattr(times, "iowait", 0.0)


def pid_of(server: EtagereServer) -> int:
    assert server.process is not None, "server not started"
    return server.process.pid


def start_worker(store: StoreLocation, log: Path) -> subprocess.Popen[bytes]:
    cmd = [sys.executable, "-m", "etagere", "worker", *store.flags()]
    env = {k: v for k, v in os.environ.items() if not k.startswith("ETAGERE_")}
    with log.open("ab") as out:
        return subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=env)


def stop_all(processes: Sequence[subprocess.Popen[bytes]]) -> None:
    for process in processes:
        process.terminate()
    for process in processes:
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


# --- one measurement -------------------------------------------------------------------------


def progress(line: str) -> None:
    print(f"\r  {line}   ", end="", file=sys.stderr, flush=True)


def upload(api: EtagereServer, library_id: str, corpus: list[tuple[str, str]]) -> None:
    local = threading.local()
    lock = threading.Lock()
    done = [0]

    def one(item: tuple[str, str]) -> None:
        if not hasattr(local, "http"):
            local.http = api.http()
        name, text = item
        files = {"file": (f"{name}.txt", text.encode(), "text/plain")}
        response = local.http.post(f"/v1/libraries/{library_id}/documents", files=files)
        response.raise_for_status()
        with lock:
            done[0] += 1
            progress(f"uploaded {done[0]}/{len(corpus)}")

    with ThreadPoolExecutor(UPLOAD_THREADS) as pool:
        list(pool.map(one, corpus))


def wait_done(api: EtagereServer, library_id: str, expected: int, label: str) -> None:
    deadline = time.monotonic() + INGEST_TIMEOUT_S
    with api.http() as http:
        while time.monotonic() < deadline:
            library = http.get(f"/v1/libraries/{library_id}").json()
            done = library.get("nb_documents", 0)
            statuses = count_statuses(http, library_id)
            finished = statuses.get("done", 0) + statuses.get("error", 0)
            progress(f"{label}: {statuses.get('done', 0)}/{expected} done")
            if done >= expected and finished >= expected:
                if statuses.get("error"):
                    raise RuntimeError(f"{statuses['error']} documents failed")
                return
            time.sleep(0.5)
    raise RuntimeError(f"documents not done after {INGEST_TIMEOUT_S} s")


def count_statuses(http: httpx.Client, library_id: str) -> dict[str, int]:
    statuses: dict[str, int] = {}
    page = 0
    while True:
        params: dict[str, int | str] = {"page_size": 100, "page": page}
        listing = http.get(f"/v1/libraries/{library_id}/documents", params=params).json()
        for document in listing["data"]:
            status = document["process_status"]
            statuses[status] = statuses.get(status, 0) + 1
        if len(listing["data"]) < 100:
            return statuses
        page += 1


def search_load(
    apis: Sequence[EtagereServer], library_id: str, queries: Sequence[str], seconds: float
) -> list[float]:
    """Latencies (s) of hybrid searches from ``CLIENTS`` threads spread over ``apis``."""
    latencies: list[float] = []
    lock = threading.Lock()
    stop = time.perf_counter() + seconds

    def client(index: int) -> None:
        api = apis[index % len(apis)]
        mine: list[float] = []
        with api.http() as http:
            position = index * 97
            while time.perf_counter() < stop:
                query = queries[position % len(queries)]
                position += 1
                started = time.perf_counter()
                response = http.post(
                    f"/v1/libraries/{library_id}/search", json={"query": query, "top_k": TOP_K}
                )
                response.raise_for_status()
                mine.append(time.perf_counter() - started)
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=client, args=(i,)) for i in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return latencies


def warm(api: EtagereServer, library_id: str, query: str) -> None:
    """Wait until the API answers searches (embedded mode loads its indexes in the background)."""
    with api.http() as http:
        http.timeout = httpx.Timeout(600)
        http.post(f"/v1/libraries/{library_id}/search", json={"query": query, "top_k": TOP_K})


def measure(
    store_name: str,
    store: StoreLocation,
    processes: int,
    corpus: list[tuple[str, str]],
    queries: list[str],
    seconds: float,
    work: Path,
) -> Row:
    label = f"{store_name} x{processes}"
    with ExitStack() as stack:
        api = EtagereServer(store=store).start(extra_env={"ETAGERE_WORKERS": "0"})
        stack.callback(api.stop)
        with api.http() as http:
            library_id = http.post("/v1/libraries", json={"name": label}).json()["id"]
        upload(api, library_id, corpus)
        print(file=sys.stderr)

        workers: list[subprocess.Popen[bytes]] = []
        with Measured([pid_of(api)]) as ingest:
            for index in range(processes):
                worker = start_worker(store, work / f"{label}-worker-{index}.log")
                ingest.etagere.track(worker.pid, from_zero=True)
                workers.append(worker)
            wait_done(api, library_id, len(corpus), f"{label} ingestion")
        print(file=sys.stderr)
        stop_all(workers)

        apis = [api]
        for _ in range(processes - 1):
            extra = EtagereServer(store=store, api_key=api.api_key)
            extra.start(extra_env={"ETAGERE_WORKERS": "0"})
            stack.callback(extra.stop)
            apis.append(extra)
        for each in apis:
            warm(each, library_id, queries[0])
        progress(f"{label} search: {seconds:.0f} s, {CLIENTS} clients")
        with Measured([pid_of(each) for each in apis]) as searched:
            latencies = search_load(apis, library_id, queries, seconds)
        print(file=sys.stderr)
    ms = sorted(x * 1000 for x in latencies)
    return Row(
        store=store_name,
        processes=processes,
        docs_per_s=len(corpus) / ingest.wall,
        ingest_cpu=ingest.usage,
        qps=len(latencies) / searched.wall,
        p50_ms=statistics.median(ms),
        p95_ms=ms[int(len(ms) * 0.95)],
        search_cpu=searched.usage,
    )


# --- report ----------------------------------------------------------------------------------


def print_table(rows: list[Row], docs: int, seconds: float) -> None:
    cores = os.cpu_count()
    print(
        f"\nScale-out on {cores} cores: {docs} SciFact abstracts per run (fresh database each), "
        f"then {CLIENTS} client threads of hybrid search for {seconds:.0f} s.\n"
        "CPU columns are average cores busy: etagere processes / rest of the machine (the\n"
        "database server) / load client.\n"
        "Peak RSS is the largest resident memory of one etagere process (API or worker).\n"
    )
    print(
        "| store | processes | ingestion docs/s | x vs 1 | CPU while ingesting "
        "| search QPS | x vs 1 | p50 ms | p95 ms | CPU while searching | peak RSS MB |"
    )
    print("|---|---:|---:|---:|---|---:|---:|---:|---:|---|---:|")
    base: dict[str, Row] = {}
    for row in rows:
        first = base.setdefault(row.store, row)
        print(
            f"| {row.store} | {row.processes} | {row.docs_per_s:.2f} "
            f"| {row.docs_per_s / first.docs_per_s:.2f} | {_cpu(row.ingest_cpu)} "
            f"| {row.qps:.0f} | {row.qps / first.qps:.2f} | {row.p50_ms:.1f} | {row.p95_ms:.1f} "
            f"| {_cpu(row.search_cpu)} "
            f"| {max(row.ingest_cpu.peak_rss_mb, row.search_cpu.peak_rss_mb):.0f} |"
        )


def _cpu(usage: Usage) -> str:
    return f"{usage.etagere:.2f} / {usage.other:.2f} / {usage.client:.2f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--processes", default="1,2,4")
    parser.add_argument("--stores", default="postgres,sqlite")
    parser.add_argument("--docs", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=15)
    args = parser.parse_args()
    counts = [int(n) for n in args.processes.split(",")]
    stores = args.stores.split(",")
    corpus, queries = scifact(args.docs)
    work = Path(tempfile.mkdtemp(prefix="etagere-bench-scale-"))
    rows: list[Row] = []
    try:
        with ExitStack() as stack:
            server_url = None
            if "postgres" in stores:
                (work / "pg").mkdir()
                server_url = stack.enter_context(postgres.postgres_server(work / "pg"))
            for store_name in stores:
                for count in counts:
                    data_dir = work / f"{store_name}-{count}"
                    if store_name == "postgres":
                        assert server_url is not None
                        url = postgres.create_database(server_url)
                        store = StoreLocation(data_dir=data_dir, database_url=url)
                    else:
                        store = StoreLocation(data_dir=data_dir)
                    rows.append(
                        measure(store_name, store, count, corpus, queries, args.seconds, work)
                    )
                    if store_name == "postgres":
                        postgres.drop_database(server_url, url)  # type: ignore[arg-type]
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print_table(rows, args.docs, args.seconds)


if __name__ == "__main__":
    main()
