"""The reports folder's index: `index.json` (one record per report) and `index.html` made from it.

The weekly report (report/runner.py) adds its row when it archives a run; erasure
(privacy/consent.py) removes the rows of the named reports it deletes. Both take turns through a
lock on the folder itself, so no lock file is left behind and neither loses the other's change.
The index is as private as its folder: owner-only (0600) in the named reports' folder (0700),
readable as the folder is in the anonymous reports' one.
"""

from __future__ import annotations

import fcntl
import html
import json
import os
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from burnout_lib.store.private_files import is_private, write_file

INDEX_JSON = "index.json"
INDEX_HTML = "index.html"


def add_report(folder: Path, name: str, record: dict) -> None:
    """Add or replace the report's row and rewrite `index.html`."""
    with _locked(folder):
        manifest = _read(folder)
        manifest[name] = record
        _write(folder, manifest)


def forget_reports(folder: Path, names: Iterable[str]) -> None:
    """Drop these reports' rows (their files are the caller's to remove)."""
    gone = set(names)
    with _locked(folder):
        manifest = _read(folder)
        kept = {name: record for name, record in manifest.items() if name not in gone}
        if kept != manifest:
            _write(folder, kept)


@contextmanager
def _locked(folder: Path) -> Iterator[None]:
    """An exclusive `flock` on the folder, released when its descriptor closes."""
    descriptor = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        yield
    finally:
        os.close(descriptor)


def _read(folder: Path) -> dict:
    path = folder / INDEX_JSON
    return json.loads(path.read_text()) if path.exists() else {}


def _scope(record: dict) -> str:
    scope = record["unit"] or "whole hospital"
    if record.get("parameters", {}).get("show_pseudonyms"):
        scope += ", naming people (occupational health)"
    return scope


def _write(folder: Path, manifest: dict) -> None:
    private = is_private(folder)
    write_file(folder / INDEX_JSON, json.dumps(manifest, indent=2, sort_keys=True), private)
    rows = []
    for entry in sorted(
        manifest.values(), key=lambda r: (r["week"], r["unit"] or ""), reverse=True
    ):
        rows.append(
            "<tr>"
            f"<td>{html.escape(entry['week'])}</td>"
            f"<td>{html.escape(_scope(entry))}</td>"
            f'<td><a href="{html.escape(entry["html"])}">report</a> · '
            f'<a href="{html.escape(entry["notebook"])}">executed notebook</a></td>'
            f"<td>{entry['model_version']}</td>"
            f"<td>{html.escape(entry['generated_at'])}</td>"
            "</tr>"
        )
    page = (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        "<title>Burnout Monitor: weekly reports</title>"
        "<style>body{font-family:system-ui,sans-serif;margin:2rem}"
        "table{border-collapse:collapse}td,th{padding:4px 12px;border-bottom:1px solid #ddd;"
        "text-align:left}</style></head><body><h1>Weekly reports</h1>"
        "<table><thead><tr><th>week</th><th>scope</th><th>files</th><th>model version</th>"
        f"<th>generated (UTC)</th></tr></thead><tbody>{''.join(rows)}</tbody></table>"
        "</body></html>"
    )
    write_file(folder / INDEX_HTML, page, private)
