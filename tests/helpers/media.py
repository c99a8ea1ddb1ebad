"""Pictures and videos left on disk: the weekly clip's promise is that none ever is."""

from __future__ import annotations

from pathlib import Path

#: What a picture or a video file starts with.
MAGIC = {
    "JPEG": b"\xff\xd8\xff",
    "PNG": b"\x89PNG",
    "MP4/MOV": b"ftyp",  # at offset 4
    "WebM/MKV": b"\x1a\x45\xdf\xa3",
    "AVI": b"RIFF",
}
#: Names a picture or a video would have.
SUFFIXES = {".jpg", ".jpeg", ".png", ".mp4", ".mov", ".webm", ".mkv", ".avi"}


def files_under(*folders: Path) -> list[Path]:
    return sorted(
        p for folder in folders if folder.exists() for p in folder.rglob("*") if p.is_file()
    )


def pictures_and_videos(*folders: Path, sent: tuple[bytes, ...] = ()) -> list[str]:
    """Every file under `folders` that is a picture or a video (by content or by name), or that
    holds one of the pictures `sent`: one line each, naming it."""
    found = []
    for path in files_under(*folders):
        data = path.read_bytes()
        for kind, magic in MAGIC.items():
            head = data[4:8] if kind == "MP4/MOV" else data[: len(magic)]
            if head == magic:
                found.append(f"{path} is a {kind} file")
        if any(picture in data for picture in sent):
            found.append(f"{path} holds a picture that was sent")
        if path.suffix.lower() in SUFFIXES:
            found.append(f"{path} is named like a picture or a video")
    return found
