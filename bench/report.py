"""The measured part of docs/benchmarks.md, rewritten between two markers on every run.

The text around the markers (what limits each figure, what was tried, scaling out) is written by
people and kept as it is.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

BEGIN = "<!-- bench:begin (written by `make bench`; edit outside these markers) -->"
END = "<!-- bench:end -->"

TARGETS = {
    "api": 0.75,
    "html": 0.60,
}
# The statement PDF's CPU, median, in milliseconds (issue 21).
PDF_CPU_MS = 50.0


def _n(value: float, digits: int = 0) -> str:
    return f"{value:,.{digits}f}"


def _loads(values: list[float]) -> str:
    return ", ".join(f"{value:.2f}" for value in values)


def _ok(passed: bool) -> str:
    return "met" if passed else "**missed**"


def _machine(machine: dict[str, Any]) -> list[str]:
    lines = [
        "| | |",
        "|---|---|",
        f"| CPU | {machine.get('nproc')} cores ({machine.get('cpu')}) |",
        f"| Memory | {machine.get('memory_gb')} GB |",
        f"| OS | {machine.get('os')} |",
        f"| Python | {machine.get('python')} |",
    ]
    if machine.get("postgresql"):
        settings = ", ".join(f"{k}={v}" for k, v in machine.get("postgresql_settings", {}).items())
        lines.append(f"| PostgreSQL | {machine['postgresql']} ({settings}) |")
    lines += [
        f"| SQLite | {machine.get('sqlite')} |",
        f"| Load generator | {machine.get('wrk')} |",
        f"| Code | commit {machine.get('commit')} |",
        f"| Load average before the run | {_loads(machine.get('load_before', []))} |",
    ]
    return lines


def _dataset(engine: str, data: dict[str, Any]) -> list[str]:
    rows = data["rows"]
    minutes = data["seconds"] / 60
    target = ""
    if engine == "postgresql" and data["subscribers"] >= 1_000_000:
        target = f" (target < 10 min: {_ok(minutes < 10)})"
    return [
        f"`{data['command']}`: **{minutes:.1f} min**{target}; "
        f"{_n(rows['subscribers'])} subscribers, {_n(rows['invoices'])} invoices, "
        f"{_n(rows['payments'])} payments "
        f"({_n(sum(rows.values()) / data['seconds'])} rows/s); peak RSS "
        f"{_n(data['max_rss_mb'])} MB; database {data['database_bytes'] / 2**30:.2f} GiB; "
        f"then `{'VACUUM ANALYZE' if engine == 'postgresql' else 'ANALYZE'}` "
        f"{data['analyze_seconds']:.0f} s (not counted).",
    ]


def _imports(engine: str, data: dict[str, Any]) -> list[str]:
    raw_name = "raw COPY" if engine == "postgresql" else "bare executemany"
    indexed = data.get("indexed")
    extra_head = " COPY into the indexed tables | rows/s | ratio to it |" if indexed else ""
    lines = [
        f"The feeds of the first {_n(data.get('feeds_of_subscribers', 0))} subscribers of the "
        f"dataset, exported in {data['export_seconds']:.0f} s; "
        f"limit: {data['raw_method']}"
        + (
            "; the schema's own limit: the rows the importer stored, psql \\copy into the real "
            "tables (keys, indexes, checks, foreign keys) of a fresh migrated database"
            if indexed
            else ""
        )
        + ".",
        "",
        f"| Feed | Rows | `waterbill import` | rows/s | {raw_name} | rows/s | ratio |"
        + extra_head
        + " importer peak RSS (1/10 input → full input) | rejected |",
        "|---|---:|---:|---:|---:|---:|---:|"
        + ("---:|---:|---:|" if indexed else "")
        + "---:|---:|",
    ]
    full, small, raw = data["importer"]["full"], data["importer"]["small"], data["raw"]
    total_rows = total_import = total_raw = total_indexed = 0.0
    for feed in ("subscribers", "invoices", "payments"):
        mine, limit = full[feed], raw[feed]
        ratio = mine["rows_per_second"] / limit["rows_per_second"]
        total_rows += mine["rows"]
        total_import += mine["seconds"]
        total_raw += limit["seconds"]
        extra = ""
        if indexed:
            schema = indexed[feed]
            total_indexed += schema["seconds"]
            extra = (
                f" {schema['seconds']:.1f} s | {_n(schema['rows_per_second'])} | "
                f"{mine['rows_per_second'] / schema['rows_per_second']:.0%} |"
            )
        lines.append(
            f"| {feed} | {_n(mine['rows'])} | {mine['seconds']:.1f} s | "
            f"{_n(mine['rows_per_second'])} | {limit['seconds']:.1f} s | "
            f"{_n(limit['rows_per_second'])} | {ratio:.0%} |{extra} "
            f"{small[feed]['max_rss_mb']:.0f} MB → {mine['max_rss_mb']:.0f} MB | "
            f"{_n(mine.get('rejected', 0))} |"
        )
    ratio = total_raw / total_import
    extra = (
        f" {total_indexed:.1f} s | {_n(total_rows / total_indexed)} | "
        f"**{total_indexed / total_import:.0%}** |"
        if indexed
        else ""
    )
    lines.append(
        f"| **all three** | {_n(total_rows)} | {total_import:.1f} s | "
        f"{_n(total_rows / total_import)} | {total_raw:.1f} s | {_n(total_rows / total_raw)} | "
        f"**{ratio:.0%}** |{extra} | |"
    )
    peak = max(item["max_rss_mb"] for size in data["importer"].values() for item in size.values())
    lines += [
        "",
        f"Imports at {ratio:.0%} of the {raw_name} throughput"
        + (f" (target ≥ 30 %: {_ok(ratio >= 0.3)})" if engine == "postgresql" else "")
        + (
            f", and at {total_indexed / total_import:.0%} of a COPY of the same rows into the "
            f"indexed tables (target ≥ 80 %: {_ok(total_indexed / total_import >= 0.8)}), which "
            f"itself runs at {total_raw / total_indexed:.0%} of the {raw_name}"
            if indexed
            else ""
        )
        + f"; importer peak RSS {peak:.0f} MB (target ≤ 300 MB: {_ok(peak <= 300)}).",
    ]
    return lines


# The endpoint the ratios are taken against, best first: the async reference (PostgreSQL), else the
# sync one ("handwritten" in results written before issue 21).
REFERENCES = ("reference", "sync_pool_reference", "handwritten")
LABELS = {
    "api": "API statement (auth, policy, audit)",
    "html": "HTML statement page",
    "reference": "reference: one SQL statement, JSON by PostgreSQL, async pool (database limit)",
    "sync_pool_reference": "one SQL query through the app's sync pool and request threads",
    "handwritten": "one SQL query through the app's sync pool and request threads",
    "static": "static JSON (framework limit)",
}


def _lookups(data: dict[str, Any]) -> list[str]:
    runs = data["runs"]
    reference = next((key for key in REFERENCES if key in runs), None)
    limit = runs[reference]["rps"] if reference else None
    lines = [
        f"wrk, {data['threads']} threads, {data['connections']} connections, "
        f"{data['duration']} s per endpoint after a 5 s warm-up; uvicorn with "
        f"{data['workers']} workers; {data['holders']} random household holders, each with their "
        "own bearer token. Ratios are to "
        + (
            "the reference app (`bench/reference_app.py`)."
            if reference == "reference"
            else "the sync-pool reference (`bench/limits_app.py`): the async reference runs on "
            "PostgreSQL only."
        ),
        "",
        "| Endpoint | req/s | vs reference | p50 | p90 | p99 | non-2xx / errors "
        "| RSS per worker (peak) | app CPU a request, in process |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    cpu = data.get("cpu_per_request", {})
    for key, label in LABELS.items():
        run = runs.get(key)
        if run is None:
            continue
        latency = run["latency_us"]
        errors = sum(run["errors"].values())
        ratio = f"{run['rps'] / limit:.0%}" if limit else "–"
        rss = " / ".join(f"{value:.0f}" for value in run["worker_rss_mb"])
        lines.append(
            f"| {label} `{run['path']}` | {_n(run['rps'])} | {ratio} | "
            f"{latency['p50'] / 1000:.1f} ms | {latency['p90'] / 1000:.1f} ms | "
            f"{latency['p99'] / 1000:.1f} ms | {run['non_2xx']} / {errors} | {rss} MB | "
            + (f"{cpu[key]['cpu_ms']:.2f} ms |" if key in cpu else "– |")
        )
    if limit:
        lines.append("")
        checks = []
        api, html = runs.get("api"), runs.get("html")
        if api:
            ok = api["rps"] / limit >= TARGETS["api"] and api["latency_us"]["p99"] <= 50_000
            checks.append(f"API ≥ {TARGETS['api'] * 100:.0f} % with p99 ≤ 50 ms: {_ok(ok)}")
        if html:
            met = html["rps"] / limit >= TARGETS["html"]
            checks.append(f"HTML ≥ {TARGETS['html'] * 100:.0f} %: {_ok(met)}")
        worst = max(
            (
                value
                for key in ("api", "html")
                if key in runs
                for value in runs[key]["worker_rss_mb"]
            ),
            default=0.0,
        )
        checks.append(f"worker RSS ≤ 200 MB ({worst:.0f} MB): {_ok(worst <= 200)}")
        lines.append("Targets: " + "; ".join(checks) + ".")
    return lines


DOCUMENTS = {
    "statement": "statement PDF `GET /statements/{code}/statement.pdf`",
    "certificate": "no-debt certificate PDF `POST /statements/{code}/certificate`",
}


def _documents(engine: str, data: dict[str, Any]) -> list[str]:
    statement = data["statement"]
    lines = [
        f"`bench/cpu_per_pdf.py`: in one fresh process, the statement PDF of "
        f"{_n(statement['holders'])} random household holders, in "
        f"{', '.join(data['locales'])} in turn, issued by the calls the download makes (the "
        "access policy and its audit row, the page's view, the document's issue under its "
        "verification code, which renders the PDF); then as many no-debt certificates, issued by "
        f"the certificate page's call, for the {_n(data['certificate']['holders'])} of them who "
        "owe nothing. CPU is "
        "`time.process_time()` around each document, without the token check and HTTP, "
        + (
            "and without the database server's own work."
            if engine == "postgresql"
            else "with SQLite's work, which runs in the process."
        )
        + " The first PDF of the process is reported apart and not counted in the others.",
        "",
        "| Document | documents | CPU min | median | p90 | of it rendering the PDF (median) "
        f"| first in a fresh process | size (median) | target: median ≤ {PDF_CPU_MS:.0f} ms |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for kind, label in DOCUMENTS.items():
        figures = data.get(kind, {})
        if not figures.get("documents"):
            continue
        cpu, rendering = figures["cpu_ms"], figures["rendering_cpu_ms"]
        first = f"{figures['first_cpu_ms']:.1f} ms" if "first_cpu_ms" in figures else "–"
        # The target is the statement PDF's, on PostgreSQL, where the database is not counted.
        target = (
            _ok(cpu["median"] <= PDF_CPU_MS)
            if kind == "statement" and engine == "postgresql"
            else "–"
        )
        lines.append(
            f"| {label} | {figures['documents']} | {cpu['min']:.1f} ms | "
            f"{cpu['median']:.1f} ms | {cpu['p90']:.1f} ms | {rendering['median']:.1f} ms | "
            f"{first} | {figures['bytes']['median'] / 1024:.1f} KB | {target} |"
        )
    return lines


def render(results: dict[str, Any]) -> str:
    lines = [BEGIN, "", "### The machine", "", *_machine(results.get("machine", {}))]
    for engine, title in (("postgresql", "PostgreSQL"), ("sqlite", "SQLite")):
        data = results.get(engine)
        if not data:
            continue
        ran = ", ".join(f"{phase} {when}" for phase, when in data.get("ran_at", {}).items())
        lines += ["", f"### {title} (scale `{data.get('scale')}`; run at {ran} UTC)"]
        if "dataset" in data:
            lines += ["", "**Dataset.** " + _dataset(engine, data["dataset"])[0]]
        if "imports" in data:
            lines += ["", "**Imports** (each feed into a fresh migrated database).", ""]
            lines += _imports(engine, data["imports"])
        if "lookups" in data:
            lines += ["", "**Lookups.**", "", *_lookups(data["lookups"])]
        if "documents" in data:
            lines += ["", "**Documents.**", "", *_documents(engine, data["documents"])]
    env = results.get("env") or {}
    if env:
        settings = " ".join(f"{key}={value}" for key, value in sorted(env.items()))
        lines += ["", f"Environment of the last run: `{settings}`."]
    lines += ["", END]
    return "\n".join(lines)


def write(document: Path, results: dict[str, Any]) -> None:
    generated = render(results)
    if document.exists():
        text = document.read_text()
        if BEGIN in text and END in text:
            before, rest = text.split(BEGIN, 1)
            after = rest.split(END, 1)[1]
            document.write_text(before + generated + after)
            return
    document.parent.mkdir(parents=True, exist_ok=True)
    document.write_text(f"# Benchmarks\n\n{generated}\n")
