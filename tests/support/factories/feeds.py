"""Billing feed files for tests, written in any of the dialects the importer accepts."""

from __future__ import annotations

import csv
import gzip
import io
import json
import zlib
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from waterbill.ingest.columns import INVOICE_COLUMNS, PAYMENT_COLUMNS, SUBSCRIBER_COLUMNS

DECIMAL_COLUMNS = frozenset(
    {"previous_reading", "current_reading", "consumption_m3", "tariff", "amount"}
)


def subscriber_row(code: str = "0104410203", **overrides: str) -> dict[str, str]:
    row = {
        "subscriber_code": code,
        "holder_fin": "5ZK3LRT",
        "surname": "Hüseynov",
        "name": "Qorxmaz",
        "patronymic": "Əli oğlu",
        "region": "Bakı",
        "city": "Bakı",
        "district": "Nəsimi",
        "street": "Füzuli küç.",
        "building": "12",
        "apartment": "34",
        "persons_served": "4",
        "water_service": "1",
        "wastewater_service": "true",
        "meter_type": "mechanical",
        "meter_serial": "MX-204518",
        "tariff_zone": "baku_absheron",
        "category": "population",
        "status": "active",
        "opened_on": "2015-03-01",
    }
    row.update(overrides)
    return row


def invoice_row(
    code: str = "0104410203",
    period: str = "2026-09",
    service: str = "water",
    **overrides: str,
) -> dict[str, str]:
    row = {
        "invoice_no": f"{period.replace('-', '')}-{code}",
        "subscriber_code": code,
        "period": period,
        "service": service,
        "previous_reading": "100.000",
        "current_reading": "107.000",
        "consumption_m3": "7.000",
        "tariff": "0.70" if service == "water" else "0.30",
        "amount": "4.90" if service == "water" else "2.10",
        "basis": "meter",
        "issued_on": f"{period}-28",
    }
    row.update(overrides)
    return row


def payment_row(
    payment_id: str = "P-1",
    code: str = "0104410203",
    paid_at: str = "2026-10-05T10:00:00+04:00",
    amount: str = "7.00",
    **overrides: str,
) -> dict[str, str]:
    row = {
        "payment_id": payment_id,
        "subscriber_code": code,
        "paid_at": paid_at,
        "amount": amount,
        "channel": "kapitalbank",
        "reverses": "",
    }
    row.update(overrides)
    return row


COLUMNS = {
    "subscribers": SUBSCRIBER_COLUMNS,
    "invoices": INVOICE_COLUMNS,
    "payments": PAYMENT_COLUMNS,
}


def write_csv(
    path: Path,
    kind: str,
    rows: Iterable[dict[str, str]],
    *,
    delimiter: str = ",",
    decimal_comma: bool = False,
    bom: bool = False,
    crlf: bool = False,
    columns: Sequence[str] | None = None,
) -> Path:
    columns = list(columns or COLUMNS[kind])
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n" if crlf else "\n")
    writer.writerow(columns)
    for row in rows:
        values = [row.get(column, "") for column in columns]
        if decimal_comma:
            values = [
                v.replace(".", ",") if c in DECIMAL_COLUMNS else v
                for c, v in zip(columns, values, strict=True)
            ]
        writer.writerow(values)
    data = ("\ufeff" if bom else "") + buffer.getvalue()
    return _write(path, data.encode())


def write_jsonl(path: Path, rows: Iterable[dict[str, Any]]) -> Path:
    data = "".join(
        json.dumps({k: (v if v != "" else None) for k, v in row.items()}, ensure_ascii=False) + "\n"
        for row in rows
    )
    return _write(path, data.encode())


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(gzip.compress(data) if path.suffix == ".gz" else data)
    return path


def cut_gzip(path: Path, line: int) -> Path:
    """The .gz feed at ``path`` broken off halfway through its ``line``-th line, as a download cut
    short: the lines before decompress, then the data ends without gzip's end of stream."""
    lines = gzip.decompress(path.read_bytes()).splitlines(keepends=True)
    kept = b"".join(lines[: line - 1]) + lines[line - 1][: len(lines[line - 1]) // 2]
    compressor = zlib.compressobj(wbits=31)  # 31: the gzip format
    path.write_bytes(compressor.compress(kept) + compressor.flush(zlib.Z_SYNC_FLUSH))
    return path


def damage_gzip(path: Path, damage: str) -> Path:
    """The .gz feed at ``path`` unreadable from its first byte of content on, by ``damage``."""
    data = path.read_bytes()
    if damage == "cut short":
        data = data[:15]
    elif damage == "not deflate":
        data = data[:10] + b"\xff" * 32  # gzip's header, then no valid compressed block
    elif damage == "unknown method":
        data = data[:2] + b"\x07" + data[3:]
    else:
        raise ValueError(damage)
    path.write_bytes(data)
    return path


DAMAGES = ("cut short", "not deflate", "unknown method")
