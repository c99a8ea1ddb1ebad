"""Consent, and complete erasure of a person: every row and every file that belongs to them.

Erasure follows the foreign keys from `staff` through the whole schema, so a table added later that
refers to a person (directly or through another table) is covered without changes here. Archived
weekly reports that name the person (occupational health's edition, in its own folder) go too.
"""

from __future__ import annotations

import glob
import html
import re
import shutil
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
from sqlalchemy import Table, bindparam, delete, select, true
from sqlalchemy.engine import Connection, Engine

from burnout_lib import channels
from burnout_lib.config import Settings
from burnout_lib.errors import ConsentError, InvalidInput, NotFound
from burnout_lib.privacy import published
from burnout_lib.store.db import consent, metadata, require_schema, staff, upsert
from burnout_lib.store.private_files import new_temp, private_dir
from burnout_lib.store.report_archive import forget_reports
from burnout_lib.store.transactions import write_transaction


def staff_id_for(connection: Connection, pseudonym: str) -> int:
    """The id of a person, or a clear error naming the unknown pseudonym."""
    found = connection.execute(
        select(staff.c.id).where(staff.c.pseudonym == pseudonym)
    ).scalar_one_or_none()
    if found is None:
        raise NotFound(f"no staff member with pseudonym {pseudonym!r}")
    return found


def set_consent(
    engine: Engine, pseudonym: str, channel: str, granted: bool, at: datetime | None = None
) -> datetime:
    """Record that a person granted or revoked consent for a channel (its name in the channel
    registry, or an earlier one); returns the timestamp."""
    channel = channels.canonical(channel)
    require_schema(engine)
    decided_at = at or datetime.now(UTC)

    def record(connection: Connection) -> None:
        staff_id = staff_id_for(connection, pseudonym)
        row = {"staff_id": staff_id, "channel": channel, "granted": granted}
        row["decided_at"] = decided_at
        upsert(connection, consent, pd.DataFrame([row]), keys=("staff_id", "channel"))

    write_transaction(engine, record, f"recording {pseudonym}'s {channel} consent")
    return decided_at


@dataclass(frozen=True)
class Decision:
    """A person's latest consent decision for one channel (`decided_at` None: never asked)."""

    channel: str
    granted: bool
    decided_at: datetime | None


def decision(connection: Connection, staff_id: int, channel: str) -> Decision:
    """The person's latest decision for the channel; never asked counts as not granted."""
    name = channels.canonical(channel)
    found = connection.execute(
        select(consent.c.granted, consent.c.decided_at).where(
            consent.c.staff_id == staff_id, consent.c.channel == name
        )
    ).one_or_none()
    if found is None:
        return Decision(name, False, None)
    return Decision(name, bool(found.granted), found.decided_at)


def has_consent(connection: Connection, staff_id: int, channel: str) -> bool:
    """True only when the person's latest decision for this channel is a grant."""
    return decision(connection, staff_id, channel).granted


def require_consent(
    connection: Connection,
    staff_id: int,
    channel: str,
    refusal: str | Callable[[Decision], str],
) -> Decision:
    """The one consent gate before a channel's data is taken in, stored or used: nothing happens
    unless the person's latest decision is a grant. Otherwise `ConsentError` with the caller's
    one line (`refusal`, or made from the decision: never asked, or withdrawn and when)."""
    found = decision(connection, staff_id, channel)
    if not found.granted:
        raise ConsentError(refusal(found) if callable(refusal) else refusal)
    return found


def consenting(channel: str):
    """The bulk form of the gate, for queries over many people: a subquery of the ids of
    everyone whose latest decision for the channel is a grant."""
    name = channels.canonical(channel)
    return select(consent.c.staff_id).where(consent.c.channel == name, consent.c.granted == true())


def person_tables() -> list[tuple[Table, object]]:
    """Every table holding rows of a person, with a clause selecting that person's rows.

    The clause is built on a bound parameter `staff_id`. Children come before their parents, so
    deleting in this order never breaks a foreign key.
    """
    found: list[tuple[Table, object]] = []

    def walk(table: Table, rows_clause) -> None:
        found.append((table, rows_clause))
        for child in metadata.sorted_tables:
            for fk in child.foreign_keys:
                if fk.column.table is table:
                    parent_keys = select(fk.column).where(rows_clause)
                    walk(child, fk.parent.in_(parent_keys))

    walk(staff, staff.c.id == bindparam("staff_id"))
    seen: set[str] = set()
    ordered = []
    for table, clause in reversed(found):
        key = f"{table.name}:{clause}"
        if key not in seen:
            seen.add(key)
            ordered.append((table, clause))
    return ordered


@dataclass
class ErasureReport:
    """What an erasure removed: rows per table, and files."""

    pseudonym: str
    rows: dict[str, int] = field(default_factory=dict)
    files: list[str] = field(default_factory=list)
    #: remembered suppressed team tables dropped (worked out from counts that included them)
    team_tables: int = 0

    @property
    def total_rows(self) -> int:
        return sum(self.rows.values())

    def summary(self) -> str:
        tables = ", ".join(f"{name} {count}" for name, count in self.rows.items() if count)
        return (
            f"erased {self.pseudonym}: {self.total_rows} rows ({tables or 'none'}), "
            f"{len(self.files)} files"
        )


def _shared_person_files(settings: Settings) -> list[Path]:
    """Parquet tables in the data folder shared by everyone, keyed by a `pseudonym` column."""
    if not settings.data_dir.exists():
        return []
    return sorted(settings.data_dir.glob("*.parquet"))


def _named_reports_naming(settings: Settings, pseudonym: str) -> list[Path]:
    """Files of archived named reports (HTML, executed notebook, run record) whose report or
    notebook names the person."""
    folder = settings.named_reports_dir
    if not folder.is_dir():
        return []
    spellings = {re.escape(pseudonym), re.escape(html.escape(pseudonym))}
    naming = re.compile(rf"(?<![\w-])(?:{'|'.join(spellings)})(?![\w-])")
    stems = {
        path.stem
        for path in folder.glob("weekly-report-*")
        if path.suffix in (".html", ".ipynb")
        and naming.search(path.read_text(encoding="utf-8", errors="replace"))
    }
    return sorted(p for stem in stems for p in folder.glob(f"{glob.escape(stem)}.*"))


def erase_person(engine: Engine, settings: Settings, pseudonym: str) -> ErasureReport:
    """Remove every row and file of one person, all or nothing.

    Files are first moved aside and shared tables rewritten to temporary files; they are put in
    place only once the database transaction has committed, and restored if it fails. Named
    reports that mention the person are removed whole, with their rows in the reports index
    (occupational health can run the week's named report again, without them).
    """
    require_schema(engine)
    report = ErasureReport(pseudonym)
    trash = settings.data_dir / f".erasing-{uuid.uuid4().hex}"
    person_dir = settings.person_dir(pseudonym)
    staged: list[tuple[Path, Path]] = []
    moved: list[tuple[Path, Path]] = []  # (aside, where it was)

    def delete_rows(connection: Connection) -> dict[str, int]:
        rows: dict[str, int] = {}
        staff_id = connection.execute(
            select(staff.c.id).where(staff.c.pseudonym == pseudonym)
        ).scalar_one_or_none()
        if staff_id is not None:
            for table, clause in person_tables():
                result = connection.execute(delete(table).where(clause), {"staff_id": staff_id})
                rows[table.name] = rows.get(table.name, 0) + result.rowcount
            # team tables remembered from counts that included this person
            report.team_tables = published.forget_all(connection)
        elif not report.files:
            raise NotFound(f"no staff member with pseudonym {pseudonym!r}")
        return rows

    try:
        if person_dir.exists():
            private_dir(trash)  # what is set aside stays as private as where it was
            report.files.extend(
                str(p.relative_to(settings.data_dir))
                for p in sorted(person_dir.rglob("*"))
                if p.is_file()
            )
            person_dir.rename(trash / "person")
        for path in _named_reports_naming(settings, pseudonym):
            private_dir(trash)
            aside = trash / path.name
            path.rename(aside)
            moved.append((aside, path))
            report.files.append(str(path.relative_to(settings.data_dir)))
        for shared in _shared_person_files(settings):
            rewritten = _without_person(shared, pseudonym)
            if rewritten is not None:
                staged.append((rewritten, shared))
                report.files.append(f"{shared.relative_to(settings.data_dir)} (rows removed)")
        report.rows = write_transaction(engine, delete_rows, f"erasing {pseudonym}")
    except BaseException:
        if (trash / "person").exists():
            (trash / "person").rename(person_dir)
        for aside, path in moved:
            aside.rename(path)
        for temp, _ in staged:
            temp.unlink(missing_ok=True)
        shutil.rmtree(trash, ignore_errors=True)
        raise
    for temp, target in staged:
        temp.replace(target)
    if moved:
        forget_reports(settings.named_reports_dir, {path.stem for _, path in moved})
    shutil.rmtree(trash, ignore_errors=True)
    if engine.dialect.name == "sqlite":  # deleted rows stay in the file's free pages and its log
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.exec_driver_sql("VACUUM")
            connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    return report


def _without_person(path: Path, pseudonym: str) -> Path | None:
    """Write the table without the person's rows to a temporary file; None if they had none."""
    try:
        frame = pd.read_parquet(path)
    except Exception as error:  # a foreign or broken file is not ours to change
        raise InvalidInput(f"cannot read {path} to erase {pseudonym!r} from it: {error}") from None
    if "pseudonym" not in frame.columns:
        return None
    keep = frame["pseudonym"] != pseudonym
    if keep.all():
        return None
    temp = new_temp(path)  # it names people: owner-only, as the table it replaces becomes
    try:
        frame[keep].to_parquet(temp, index=False)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    return temp
