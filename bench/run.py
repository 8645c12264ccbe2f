"""``make bench``: build a national-scale dataset, measure imports and lookups, write the document.

Everything is configured by environment variables (see ``make help`` and docs/benchmarks.md):

- ``BENCH_ENGINES``: ``postgresql sqlite`` (default) or one of them;
- ``BENCH_SCALE``: ``full`` (default: 1,000,000 subscribers on PostgreSQL, 100,000 on SQLite,
  30 s per load test) or ``small`` (20,000 / 5,000 subscribers, 10 s: a few minutes in all);
- ``BENCH_SUBSCRIBERS``: overrides the scale's number of subscribers for every engine;
- ``BENCH_PHASES``: ``dataset imports lookups documents`` (default) or a subset; results of
  earlier phases stay in ``var/bench/results.json``, so a phase can be repeated alone;
- ``BENCH_DURATION``, ``BENCH_CONNECTIONS`` (32), ``BENCH_WORKERS`` (uvicorn workers, default
  ``nproc``), ``BENCH_POSTGRES`` (server URL without a database, default
  ``postgresql://postgres@127.0.0.1:5432``), ``BENCH_KEEP=1`` keeps the bench databases,
  ``BENCH_IMPORT_SUBSCRIBERS``: the imports use the feeds of this many subscribers of the dataset
  (default: all of them), and one tenth of that as the smaller input;
  ``BENCH_PDF_DOCUMENTS``: statement PDFs (and certificates) measured (default 50);
  ``BENCH_ENDPOINTS`` (default ``api html reference sync_pool_reference static``; ``reference``
  is measured on PostgreSQL only),
  ``BENCH_DATABASE`` (name of the bench database, default ``waterbill_bench``; the import and raw
  databases get suffixes), ``BENCH_WORKDIR`` (default ``var/bench``).

The load generator is wrk (Debian package ``wrk``): C, not Python, so it does not compete with the
app for the GIL and its own overhead is small.
"""

from __future__ import annotations

import json
import os
import platform
import random
import resource
import shutil
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.request
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg

from bench import feeds, report

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
WATERBILL = str(BIN / "waterbill")
UVICORN = str(BIN / "uvicorn")
LUA = ROOT / "bench" / "statements.lua"
SECRET = "benchmark-only-secret-not-for-any-deployment"  # noqa: S105
DEMO_SEED = 1
ENDPOINTS = ("api", "html", "reference", "sync_pool_reference", "static")


@dataclass
class Config:
    engines: list[str]
    scale: str
    subscribers: dict[str, int]
    months: int
    duration: int
    connections: int
    threads: int
    workers: int
    phases: list[str]
    postgres: str
    keep: bool
    workdir: Path
    prefix: str
    import_subscribers: int | None = None
    import_defaults: dict[str, int] = field(default_factory=dict)
    sample: int = 2000
    small_fraction: int = 10
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_env(cls) -> Config:
        env = os.environ
        scale = env.get("BENCH_SCALE", "full")
        if scale not in {"full", "small"}:
            raise SystemExit("BENCH_SCALE is full or small")
        defaults = (
            {"postgresql": 1_000_000, "sqlite": 100_000}
            if scale == "full"
            else {"postgresql": 20_000, "sqlite": 5_000}
        )
        if env.get("BENCH_SUBSCRIBERS"):
            defaults = dict.fromkeys(defaults, int(env["BENCH_SUBSCRIBERS"].replace("_", "")))
        return cls(
            engines=env.get("BENCH_ENGINES", "postgresql sqlite").split(),
            scale=scale,
            subscribers=defaults,
            months=int(env.get("BENCH_MONTHS", "12")),
            duration=int(env.get("BENCH_DURATION", "30" if scale == "full" else "10")),
            connections=int(env.get("BENCH_CONNECTIONS", "32")),
            threads=int(env.get("BENCH_THREADS", "2")),
            workers=int(env.get("BENCH_WORKERS", str(os.cpu_count() or 2))),
            phases=env.get("BENCH_PHASES", "dataset imports lookups documents").split(),
            postgres=env.get("BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432").rstrip("/"),
            keep=env.get("BENCH_KEEP", "0") == "1",
            workdir=Path(env.get("BENCH_WORKDIR", str(ROOT / "var" / "bench"))),
            prefix=env.get("BENCH_DATABASE", "waterbill_bench"),
            import_subscribers=int(env["BENCH_IMPORT_SUBSCRIBERS"].replace("_", ""))
            if env.get("BENCH_IMPORT_SUBSCRIBERS")
            else None,
            # At full scale the imports take the feeds of a part of the dataset: a month's feed of
            # 100,000 PostgreSQL subscribers is 2 million invoice rows, ample for a steady rate,
            # and the whole 1,000,000 would add most of an hour to every run.
            import_defaults={"postgresql": 100_000, "sqlite": 20_000} if scale == "full" else {},
        )


def _imported(config: Config, engine: str) -> int | None:
    return config.import_subscribers or config.import_defaults.get(engine)


def log(message: str) -> None:
    print(f"[bench {datetime.now(UTC):%H:%M:%S}] {message}", flush=True)


# Databases ----------------------------------------------------------------------------------------


class Store:
    """One benchmark database of an engine: its URL, and how to make it afresh or drop it."""

    def __init__(self, config: Config, engine: str, name: str) -> None:
        self.engine = engine
        self.name = config.prefix + name
        self.config = config
        if engine == "postgresql":
            self.url = f"{config.postgres}/{self.name}"
        else:
            self.path = config.workdir / "databases" / f"{self.name}.db"
            self.url = f"sqlite:///{self.path}"

    def recreate(self) -> None:
        if self.engine == "postgresql":
            with psycopg.connect(f"{self.config.postgres}/postgres", autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
                admin.execute(f'CREATE DATABASE "{self.name}"')
        else:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            for suffix in ("", "-wal", "-shm"):
                Path(f"{self.path}{suffix}").unlink(missing_ok=True)

    def drop(self) -> None:
        if self.engine == "postgresql":
            with psycopg.connect(f"{self.config.postgres}/postgres", autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
        else:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{self.path}{suffix}").unlink(missing_ok=True)

    def scalar(self, sql: str) -> Any:
        if self.engine == "postgresql":
            with psycopg.connect(self.url) as connection:
                row = connection.execute(sql).fetchone()
        else:
            sqlite_db = sqlite3.connect(self.path)
            try:
                row = sqlite_db.execute(sql).fetchone()
            finally:
                sqlite_db.close()
        return row[0] if row else None

    def rows(self, sql: str) -> list[tuple[Any, ...]]:
        if self.engine == "postgresql":
            with psycopg.connect(self.url) as connection:
                return list(connection.execute(sql).fetchall())
        sqlite_db = sqlite3.connect(self.path)
        try:
            return list(sqlite_db.execute(sql).fetchall())
        finally:
            sqlite_db.close()

    def analyze(self) -> None:
        if self.engine == "postgresql":
            with psycopg.connect(self.url, autocommit=True) as connection:
                connection.execute("VACUUM ANALYZE")
        else:
            sqlite_db = sqlite3.connect(self.path)
            try:
                sqlite_db.execute("ANALYZE")
            finally:
                sqlite_db.close()


def app_env(store: Store, **extra: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("WATERBILL_")}
    env.update(
        WATERBILL_ENV="development",
        WATERBILL_DATABASE_URL=store.url,
        WATERBILL_SECRET_KEY=SECRET,
        # The bench measures the service, not its protection: limits far above any load here.
        WATERBILL_RATE_LIMIT_IP_REQUESTS="1000000000",
        WATERBILL_RATE_LIMIT_CODES_PER_CITIZEN="1000000000",
        # On a shared 2-core machine a queued request can pass 1.5 s; the bench reports latency
        # itself rather than have the outage guard turn slow answers into 503s.
        WATERBILL_REQUEST_DEADLINE="30",
        WATERBILL_LOG_LEVEL="WARNING",
    )
    env.update(extra)
    return env


def batch_env(store: Store) -> dict[str, str]:
    """For the bulk commands: the per-statement timeout guards web requests, not a bulk COPY."""
    return app_env(store, WATERBILL_DATABASE_STATEMENT_TIMEOUT="0")


@dataclass
class Run:
    seconds: float
    max_rss_kb: int
    returncode: int
    output: str


def timed(command: list[str], env: dict[str, str], *, check: bool = True) -> Run:
    """Runs a command to its end; wall time and the child's peak RSS (from wait4)."""
    started = time.perf_counter()
    process = subprocess.Popen(
        command, env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    output_holder: list[str] = []
    reader = threading.Thread(target=lambda: output_holder.append(process.stdout.read()))  # type: ignore[union-attr]
    reader.start()
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    reader.join()
    process.returncode = os.waitstatus_to_exitcode(status)
    output = output_holder[0] if output_holder else ""
    if check and process.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed ({process.returncode}):\n{output[-3000:]}")
    # ru_maxrss is in kilobytes on Linux.
    return Run(seconds, int(usage.ru_maxrss), process.returncode, output)


# Phase 1: the dataset -----------------------------------------------------------------------------


def phase_dataset(config: Config, engine: str, results: dict[str, Any]) -> None:
    n = config.subscribers[engine]
    store = Store(config, engine, "")
    log(f"{engine}: dataset of {n:,} subscribers x {config.months} months")
    store.recreate()
    env = batch_env(store)
    timed([WATERBILL, "db", "upgrade"], env)
    command = [
        WATERBILL, "demo-data", "--subscribers", str(n), "--seed", str(DEMO_SEED),
        "--months", str(config.months),
    ]  # fmt: skip
    run = timed(command, env)
    started = time.perf_counter()
    store.analyze()
    analyze_seconds = time.perf_counter() - started
    counts = {
        table: int(store.scalar(f"SELECT count(*) FROM {table}"))
        for table in ("subscribers", "invoices", "payments")
    }
    size = (
        int(store.scalar("SELECT pg_database_size(current_database())"))
        if engine == "postgresql"
        else store.path.stat().st_size
    )
    results["dataset"] = {
        "subscribers": n,
        "months": config.months,
        "command": " ".join(["waterbill", *command[1:]]),
        "seconds": run.seconds,
        "max_rss_mb": run.max_rss_kb / 1024,
        "analyze_seconds": analyze_seconds,
        "rows": counts,
        "database_bytes": size,
    }
    log(f"{engine}: dataset in {run.seconds:.1f} s: {counts}")


# Phase 2: imports ---------------------------------------------------------------------------------


def phase_imports(config: Config, engine: str, results: dict[str, Any]) -> None:
    source = Store(config, engine, "")
    directory = config.workdir / engine / "feeds"
    small_directory = config.workdir / engine / "feeds-small"
    for path in (directory, small_directory):
        shutil.rmtree(path, ignore_errors=True)
        path.mkdir(parents=True)
    stored_directory = config.workdir / engine / "stored"
    shutil.rmtree(stored_directory, ignore_errors=True)
    stored_directory.mkdir(parents=True)
    log(f"{engine}: exporting the feeds")
    started = time.perf_counter()
    if engine == "postgresql":
        counts = feeds.export_postgres(source.url, directory, _imported(config, engine))
    else:
        counts = feeds.export_sqlite(str(source.path), directory, _imported(config, engine))
    export_seconds = time.perf_counter() - started
    small_subscribers = max(1, counts["subscribers"] // config.small_fraction)
    codes = set(
        feeds.head(
            directory / "subscribers.csv", small_directory / "subscribers.csv", small_subscribers
        )
    )
    small_counts = {"subscribers": len(codes)}
    for feed in ("invoices", "payments"):
        small_counts[feed] = feeds.rows_of(
            directory / f"{feed}.csv", small_directory / f"{feed}.csv", codes
        )

    sizes = {
        "small": (small_directory, small_counts),
        "full": (directory, counts),
    }
    imports: dict[str, Any] = {}
    for size, (folder, rows) in sizes.items():
        target = Store(config, engine, f"_import_{size}")
        target.recreate()
        env = batch_env(target)
        timed([WATERBILL, "db", "upgrade"], env)
        imports[size] = {}
        for feed in feeds.FEEDS:
            log(f"{engine}: waterbill import {feed} ({size}: {rows[feed]:,} rows)")
            rejects = folder / f"{feed}.rejects.csv"
            command = [WATERBILL, "import", feed, str(folder / f"{feed}.csv")]
            run = timed([*command, "--rejects", str(rejects)], env, check=False)
            # Exit code 1 means some rows were refused; they are counted and shown, not hidden.
            if run.returncode not in (0, 1):
                raise SystemExit(f"import {feed} exited {run.returncode}:\n{run.output[-3000:]}")
            rejected = feeds.count_rows(rejects) if rejects.exists() else 0
            imports[size][feed] = {
                "rows": rows[feed],
                "rejected": rejected,
                "seconds": run.seconds,
                "rows_per_second": rows[feed] / run.seconds,
                "max_rss_mb": run.max_rss_kb / 1024,
            }
        if engine == "postgresql" and size == "full":
            export_stored(target, stored_directory)
        if not config.keep:
            target.drop()

    log(f"{engine}: raw load of the same files")
    raw = (
        raw_copy(config, directory, counts)
        if engine == "postgresql"
        else raw_executemany(config, directory, counts)
    )
    results["imports"] = {
        "feeds_of_subscribers": counts["subscribers"],
        "export_seconds": export_seconds,
        "files_bytes": {feed: (directory / f"{feed}.csv").stat().st_size for feed in feeds.FEEDS},
        "importer": imports,
        "raw": raw,
        # The schema's own limit: the same rows, as stored, COPYed into the real tables.
        **(
            {"indexed": indexed_copy(config, stored_directory, counts)}
            if engine == "postgresql"
            else {}
        ),
        "raw_method": "psql \\copy into bare tables"
        if engine == "postgresql"
        else "Python sqlite3 executemany into bare tables, one transaction",
    }
    if not config.keep:
        shutil.rmtree(config.workdir / engine, ignore_errors=True)


BARE_TABLES = {
    "subscribers": """subscriber_code text, holder_fin text, surname text, name text,
        patronymic text, region text, city text, district text, street text, building text,
        apartment text, persons_served smallint, water_service boolean,
        wastewater_service boolean, meter_type text, meter_serial text, tariff_zone text,
        category text, status text, opened_on date""",
    "invoices": """invoice_no text, subscriber_code text, period text, service text,
        previous_reading numeric(12,3), current_reading numeric(12,3),
        consumption_m3 numeric(12,3), tariff numeric(10,4), amount numeric(12,2), basis text,
        issued_on date""",
    "payments": """payment_id text, subscriber_code text, paid_at timestamptz,
        amount numeric(12,2), channel text, reverses text""",
}


def psql_copy(store: Store, copy: str) -> Run:
    """One ``psql \\copy`` against the store, timed as the client sees it."""
    command = ["psql", store.url, "-v", "ON_ERROR_STOP=1", "-q", "-c", f"\\copy {copy}"]
    return timed(command, os.environ.copy())


def _throughput(rows: int, run: Run) -> dict[str, Any]:
    return {"rows": rows, "seconds": run.seconds, "rows_per_second": rows / run.seconds}


def raw_copy(config: Config, directory: Path, counts: dict[str, int]) -> dict[str, Any]:
    """The PostgreSQL limit: COPY of the same files into typed tables without keys or indexes."""
    store = Store(config, "postgresql", "_raw")
    store.recreate()
    out: dict[str, Any] = {}
    for feed in feeds.FEEDS:
        with psycopg.connect(store.url, autocommit=True) as connection:
            connection.execute(f"CREATE TABLE raw_{feed} ({BARE_TABLES[feed]})")
        source = directory / f"{feed}.csv"
        run = psql_copy(store, f"raw_{feed} FROM '{source}' WITH (FORMAT csv, HEADER true)")
        out[feed] = _throughput(counts[feed], run)
    if not config.keep:
        store.drop()
    return out


def export_stored(store: Store, directory: Path) -> None:
    """The imported rows as the tables hold them (ids and all), for ``indexed_copy``."""
    for feed in feeds.FEEDS:
        psql_copy(store, f"{feed} TO '{directory / f'{feed}.csv'}' WITH (FORMAT csv)")


def indexed_copy(config: Config, directory: Path, counts: dict[str, int]) -> dict[str, Any]:
    """What the schema's keys, indexes, checks and foreign keys cost by themselves: the rows the
    importer stored, COPYed into the real tables of a fresh migrated database."""
    store = Store(config, "postgresql", "_indexed")
    store.recreate()
    timed([WATERBILL, "db", "upgrade"], batch_env(store))
    out: dict[str, Any] = {}
    for feed in feeds.FEEDS:
        run = psql_copy(store, f"{feed} FROM '{directory / f'{feed}.csv'}' WITH (FORMAT csv)")
        out[feed] = _throughput(counts[feed], run)
    if not config.keep:
        store.drop()
    return out


def raw_executemany(config: Config, directory: Path, counts: dict[str, int]) -> dict[str, Any]:
    """The SQLite limit: executemany of the parsed CSV rows into bare tables, one transaction."""
    import csv

    store = Store(config, "sqlite", "_raw")
    store.recreate()
    out: dict[str, Any] = {}
    for feed in feeds.FEEDS:
        connection = sqlite3.connect(store.path)
        columns = feeds.HEADERS[feed]
        connection.execute(f"CREATE TABLE raw_{feed} ({', '.join(columns)})")
        placeholders = ", ".join("?" for _ in columns)
        started = time.perf_counter()
        with (directory / f"{feed}.csv").open(encoding="utf-8", newline="") as handle:
            reader = csv.reader(handle)
            next(reader)
            with connection:
                while batch := [row for _, row in zip(range(10_000), reader, strict=False)]:
                    connection.executemany(
                        f"INSERT INTO raw_{feed} VALUES ({placeholders})",
                        batch,
                    )
        seconds = time.perf_counter() - started
        connection.close()
        out[feed] = {
            "rows": counts[feed],
            "seconds": seconds,
            "rows_per_second": counts[feed] / seconds,
        }
    if not config.keep:
        store.drop()
    return out


# Phase 3: lookups ---------------------------------------------------------------------------------


def free_port() -> int:
    """A port nobody listens on now (the bench imports nothing of the tests)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def worker_pids(parent: int) -> list[int]:
    """uvicorn's worker processes: the children of the supervisor started by multiprocessing."""
    pids: list[int] = []
    try:
        children = Path(f"/proc/{parent}/task/{parent}/children").read_text().split()
    except OSError:
        return pids
    for child in children:
        try:
            cmdline = Path(f"/proc/{child}/cmdline").read_bytes()
        except OSError:
            continue
        if b"spawn_main" in cmdline or b"uvicorn" in cmdline:
            pids.append(int(child))
    return pids or [parent]


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


class RssSampler:
    """Peak RSS of each worker, sampled every 200 ms while the load runs."""

    def __init__(self, pids: list[int]) -> None:
        self.pids = pids
        self.peak: dict[int, float] = dict.fromkeys(pids, 0.0)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def _loop(self) -> None:
        while not self._stop.is_set():
            for pid in self.pids:
                with suppress(OSError):
                    self.peak[pid] = max(self.peak[pid], rss_mb(pid))
            self._stop.wait(0.2)

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()


@contextmanager
def server(app: str, env: dict[str, str], workers: int, port: int, log_path: Path) -> Any:
    """uvicorn with ``workers`` processes on 127.0.0.1:port; stopped (and waited for) at the end."""
    command = [
        UVICORN, "--factory", app, "--host", "127.0.0.1", "--port", str(port),
        "--workers", str(workers), "--no-access-log", "--log-level", "warning",
        "--timeout-graceful-shutdown", "5",
    ]  # fmt: skip
    with log_path.open("w") as log_file:
        process = subprocess.Popen(
            command, env=env, cwd=ROOT, stdout=log_file, stderr=subprocess.STDOUT
        )
        try:
            deadline = time.monotonic() + 60
            while True:
                if process.poll() is not None:
                    raise SystemExit(f"{app} did not start; see {log_path}")
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2):
                        break
                except OSError as error:
                    status = getattr(error, "code", None)
                    if status is not None:
                        break
                    if time.monotonic() > deadline:
                        raise SystemExit(f"{app} did not answer in 60 s; see {log_path}") from None
                    time.sleep(0.3)
            time.sleep(1.0)
            yield process
        finally:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def wrk(config: Config, url: str, pairs: Path, path: str, seconds: int) -> dict[str, Any]:
    command = [
        "wrk", "-t", str(config.threads), "-c", str(config.connections), "-d", f"{seconds}s",
        "--timeout", "10s", "-s", str(LUA), url,
    ]  # fmt: skip
    env = {**os.environ, "BENCH_PAIRS": str(pairs), "BENCH_PATH": path}
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=True)
    figures: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    seconds_run = figures["duration_us"] / 1e6
    figures["rps"] = figures["requests"] / seconds_run
    figures["command"] = " ".join([*command[:-3], "bench/statements.lua", url])
    return figures


def tokens_for(store: Store, holders: list[tuple[str, str]], path: Path) -> None:
    """A fresh bearer token of the development provider for each sampled holder."""
    os.environ.update({k: v for k, v in app_env(store).items() if k.startswith("WATERBILL_")})
    from waterbill.auth.devidp.service import access_token, citizen_claims
    from waterbill.config import Settings
    from waterbill.db.database import Database

    settings = Settings(public_url=os.environ["WATERBILL_PUBLIC_URL"])
    database = Database(settings)
    lines = []
    try:
        with database.read() as db:
            for code, fin in holders:
                claims = citizen_claims(db=db, fin=fin, method="asan_imza")
                lines.append(f"{code} {access_token(settings, claims=claims)}\n")
    finally:
        database.dispose()
    path.write_text("".join(lines))


def phase_lookups(config: Config, engine: str, results: dict[str, Any]) -> None:
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is needed: apt-get install -y wrk")
    store = Store(config, engine, "")
    folder = config.workdir / engine
    folder.mkdir(parents=True, exist_ok=True)
    sample = store.rows(
        "SELECT code, holder_fin FROM subscribers WHERE category = 'population' "
        f"AND status = 'active' ORDER BY random() LIMIT {config.sample}"
    )
    holders = [(str(code), str(fin)) for code, fin in sample]
    random.Random(DEMO_SEED).shuffle(holders)
    pairs = folder / "pairs.txt"
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = app_env(store, WATERBILL_PUBLIC_URL=base)
    runs: dict[str, Any] = {}
    targets = [
        ("waterbill.web.app:create_app", "api", "/api/v1/statements/"),
        ("waterbill.web.app:create_app", "html", "/statements/"),
        ("bench.reference_app:create_app", "reference", "/reference/statements/"),
        ("bench.limits_app:create_app", "sync_pool_reference", "/limit/statements/"),
        ("bench.limits_app:create_app", "static", "/limit/static?"),
    ]
    chosen = os.environ.get("BENCH_ENDPOINTS", " ".join(ENDPOINTS)).split()
    if engine != "postgresql":
        chosen = [name for name in chosen if name != "reference"]  # psycopg's async API: PG only
    for app, name, path in [target for target in targets if target[1] in chosen]:
        os.environ["WATERBILL_PUBLIC_URL"] = base
        # Tokens live 10 minutes: fresh ones for every run.
        tokens_for(store, holders, pairs)
        with server(app, env, config.workers, port, folder / f"server-{name}.log") as process:
            log(f"{engine}: warming up {name}")
            wrk(config, base, pairs, path, 5)
            pids = worker_pids(process.pid)
            log(f"{engine}: {name}: wrk c={config.connections} for {config.duration} s")
            with RssSampler(pids) as sampler:
                figures = wrk(config, base, pairs, path, config.duration)
            figures["worker_rss_mb"] = sorted(sampler.peak.values())
            figures["load_average"] = os.getloadavg()
            figures["path"] = path.rstrip("?") + ("{code}" if path.endswith("/") else "")
            runs[name] = figures
            log(
                f"{engine}: {name}: {figures['rps']:.0f} req/s, p50 "
                f"{figures['latency_us']['p50'] / 1000:.1f} ms, p99 "
                f"{figures['latency_us']['p99'] / 1000:.1f} ms, non-2xx {figures['non_2xx']}"
            )
    cpu = cpu_per_request(
        store, holders, pairs, env, [name for _, name, _ in targets if name in chosen]
    )
    pairs.unlink(missing_ok=True)
    results["lookups"] = {
        "connections": config.connections,
        "threads": config.threads,
        "duration": config.duration,
        "workers": config.workers,
        "holders": len(holders),
        "runs": runs,
        "cpu_per_request": cpu,
    }


def run_module(module: str, *args: str, env: dict[str, str]) -> dict[str, Any]:
    """``python -m module args`` in a fresh process; the JSON object its last line prints."""
    done = subprocess.run(
        [sys.executable, "-m", module, *args],
        env={**env, "PYTHONPATH": str(ROOT)},
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"{module} failed ({done.returncode}):\n{done.stderr[-3000:]}")
    figures: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return figures


def cpu_per_request(
    store: Store, holders: list[tuple[str, str]], pairs: Path, env: dict[str, str], names: list[str]
) -> dict[str, Any]:
    """The app's CPU per request of each endpoint, in one process (bench/cpu_per_request.py)."""
    log(f"{store.engine}: CPU per request, in process: {' '.join(names)}")
    tokens_for(store, holders, pairs)
    figures = run_module("bench.cpu_per_request", str(pairs), *names, env=env)
    for name, figure in figures.items():
        log(f"{store.engine}: {name}: {figure['cpu_ms']:.2f} ms CPU a request")
    return figures


# Phase 4: documents -------------------------------------------------------------------------------


def phase_documents(config: Config, engine: str, results: dict[str, Any]) -> None:
    """The CPU of a statement PDF and of a no-debt certificate (bench/cpu_per_pdf.py), in a fresh
    process: its first document is the one a worker renders after it starts."""
    store = Store(config, engine, "")
    log(f"{engine}: CPU per PDF, in process")
    figures = run_module("bench.cpu_per_pdf", env=app_env(store))
    for kind in ("statement", "certificate"):
        if figures[kind]["documents"]:
            cpu = figures[kind]["cpu_ms"]
            log(
                f"{engine}: {kind} PDF: {cpu['median']:.1f} ms CPU (median of "
                f"{figures[kind]['documents']}; p90 {cpu['p90']:.1f} ms)"
            )
    results["documents"] = figures


# The machine --------------------------------------------------------------------------------------


def machine(config: Config) -> dict[str, Any]:
    memory_kb = next(
        int(line.split()[1])
        for line in Path("/proc/meminfo").read_text().splitlines()
        if line.startswith("MemTotal:")
    )
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    info: dict[str, Any] = {
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "memory_gb": round(memory_kb / 1024 / 1024, 1),
        "python": platform.python_version(),
        "os": platform.platform(),
        "wrk": subprocess.run(["wrk", "--version"], capture_output=True, text=True, check=False)
        .stdout.splitlines()[0]
        .split(" Copyright")[0]
        if shutil.which("wrk")
        else None,
        "sqlite": sqlite3.sqlite_version,
        "commit": subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=False,
            cwd=ROOT,
        ).stdout.strip(),
        "load_before": os.getloadavg(),
    }
    if "postgresql" in config.engines:
        with psycopg.connect(f"{config.postgres}/postgres") as connection:
            info["postgresql"] = connection.execute("SHOW server_version").fetchone()[0]  # type: ignore[index]
            info["postgresql_settings"] = {
                name: connection.execute(f"SHOW {name}").fetchone()[0]  # type: ignore[index]
                for name in ("shared_buffers", "work_mem", "max_connections", "synchronous_commit")
            }
    return info


def main() -> None:
    # Configured by the environment only; an argument is most likely someone asking how, and a
    # mistaken start would spend many minutes building the full dataset.
    if sys.argv[1:]:
        print(__doc__)
        raise SystemExit(0 if sys.argv[1:] in (["-h"], ["--help"]) else 2)
    config = Config.from_env()
    config.workdir.mkdir(parents=True, exist_ok=True)
    results_path = config.workdir / "results.json"
    all_results: dict[str, Any] = (
        json.loads(results_path.read_text()) if results_path.exists() else {}
    )
    all_results["machine"] = machine(config)
    for engine in config.engines:
        results = all_results.setdefault(engine, {})
        results["scale"] = config.scale
        for phase in config.phases:
            started = datetime.now(UTC)
            {
                "dataset": phase_dataset,
                "imports": phase_imports,
                "lookups": phase_lookups,
                "documents": phase_documents,
            }[phase](config, engine, results)
            results.setdefault("ran_at", {})[phase] = started.isoformat(timespec="seconds")
            results_path.write_text(json.dumps(all_results, indent=2, default=str))
        # The dataset goes after the last phase that reads it.
        if not config.keep and {"lookups", "documents"} & set(config.phases):
            Store(config, engine, "").drop()
    all_results["env"] = {
        key: value for key, value in os.environ.items() if key.startswith("BENCH_")
    }
    results_path.write_text(json.dumps(all_results, indent=2, default=str))
    document = ROOT / "docs" / "benchmarks.md"
    report.write(document, all_results)
    log(f"results in {results_path}; {document} updated")
    # The children's peak RSS is reported per command; this is only the driver's own footprint.
    log(f"driver peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main()
