"""Files only their readers can read: owner-only folders (0700) and files (0600), whatever umask.

Every writer of a file that names or describes a person (a person's folder and frame tables, Hume's
cached answers, the named reports and their index, shared tables keyed by pseudonym, the SQLite
database) goes through these few functions, so none relies on the process's umask and none leaves a
moment when the file is readable by others:

- `private_dir` makes a folder (and the folders between it and a top folder) owner-only;
- `replacing` / `write_file` write through a temporary file created owner-only (`mkstemp`) in the
  target's folder and renamed over the target, so the target is never half-written nor readable
  by others; `new_temp` is that temporary file for a caller that renames it later itself;
- `publish` gives a file written in a private folder its final mode, then renames it into place;
- `create_private` creates an empty owner-only file if there is none (a database SQLite then
  fills, whose journal and WAL files SQLite creates with the database file's mode).

A file that is not private (`private=False`, e.g. the managers' anonymous report and its index)
gets its folder's read and write bits, as the umask that made the folder would have given it.
"""

from __future__ import annotations

import os
import stat
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

PRIVATE_FILE_MODE = 0o600
PRIVATE_DIR_MODE = 0o700


def private_dir(path: Path, top: Path | None = None) -> Path:
    """Create `path` owner-only (0700), and make it so if it exists with a wider mode.

    With `top`, an ancestor of `path`, every folder below `top` down to `path` is owner-only too
    (a person's folder under `people/`, say, and `people/` itself, whose listing names people);
    `top` and the folders above it are created, if missing, as the umask has them.
    """
    path = Path(path)
    chain = [path]
    if top is not None:
        top = Path(top)
        if top not in path.parents:
            raise ValueError(f"{top} does not hold {path}")
        chain = [path, *path.parents[: path.parents.index(top)]]
    chain[-1].parent.mkdir(parents=True, exist_ok=True)
    for folder in reversed(chain):  # from the top down, so each is made inside a private one
        try:
            folder.mkdir(mode=PRIVATE_DIR_MODE)
        except FileExistsError:
            pass
        if stat.S_IMODE(folder.stat().st_mode) != PRIVATE_DIR_MODE:  # an older, wider one; or a
            os.chmod(folder, PRIVATE_DIR_MODE)  # umask that takes bits mkdir's mode asked for
    return path


def is_private(folder: Path) -> bool:
    """Whether only the folder's owner can open it (no group or other permission bits)."""
    return not stat.S_IMODE(Path(folder).stat().st_mode) & 0o077


def file_mode(folder: Path, private: bool) -> int:
    """0600 for a private file; otherwise the folder's read and write bits (0644 in a 0755 one)."""
    return PRIVATE_FILE_MODE if private else stat.S_IMODE(Path(folder).stat().st_mode) & 0o666


def new_temp(path: Path, private: bool = True) -> Path:
    """An empty temporary file next to `path`, owner-only from its creation (or, not private, with
    the folder's mode), for the caller to fill and rename over `path`."""
    path = Path(path)
    descriptor, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        if not private:
            os.fchmod(descriptor, file_mode(path.parent, private=False))
    finally:
        os.close(descriptor)
    return Path(name)


@contextmanager
def replacing(path: Path, private: bool = True) -> Iterator[Path]:
    """Yield a temporary file (see `new_temp`) to write `path`'s new content to; on leaving the
    block it replaces `path` in one step, or is removed if the block raised."""
    temp = new_temp(path, private)
    try:
        yield temp
        os.replace(temp, path)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise


def write_file(path: Path, data: bytes | str, private: bool = True) -> None:
    """Replace the file in one step: a reader sees the old content or the new, never half."""
    with replacing(path, private) as temp:
        if isinstance(data, str):
            temp.write_text(data, encoding="utf-8")
        else:
            temp.write_bytes(data)


def publish(source: Path, target: Path, private: bool) -> None:
    """Move a file written in a private folder (a run's own) into `target`'s folder, giving it
    its mode first, so it never arrives readable by anyone it should not be."""
    os.chmod(source, file_mode(Path(target).parent, private))
    os.replace(source, target)


def create_private(path: Path) -> bool:
    """Create `path` as an empty owner-only file if nothing is there; True if it was created."""
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE_MODE)
    except FileExistsError:
        return False
    try:
        os.fchmod(descriptor, PRIVATE_FILE_MODE)  # whatever the umask took away
    finally:
        os.close(descriptor)
    return True
