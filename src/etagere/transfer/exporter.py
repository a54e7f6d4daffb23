"""The export engine: a library's original files plus a JSON Lines manifest, over HTTP.

Layout of ``DEST``::

    manifest.jsonl          one line per document: metadata, attributes, status (and text)
    files/NAME              the original bytes, as uploaded
    files/NAME.meta.json    the document's attributes, when it has any

``files/`` is exactly what ``etagere import`` reads back (sidecars become attributes again),
so ``etagere import DEST/files --library other`` re-creates the library elsewhere. Files
already in ``DEST`` with the right SHA-256 are not downloaded again, so an interrupted export
resumes.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path, PurePath
from typing import Any

from etagere.transfer.remote import LibraryApi, RemoteLibrary
from etagere.transfer.sources import SIDECAR_SUFFIX

MANIFEST = "manifest.jsonl"
FILES = "files"
MANIFEST_FIELDS = (
    "id",
    "name",
    "mime_type",
    "extension",
    "size",
    "hash",
    "attributes",
    "process_status",
    "processing_status",
    "summary",
    "number_of_pages",
    "created_at",
    "last_processed_at",
)


@dataclass(frozen=True)
class ExportedFile:
    document_id: str
    path: str  # relative to DEST
    size: int
    downloaded: bool  # False: the right bytes were already there


def export_library(
    api: LibraryApi,
    library: RemoteLibrary,
    dest: Path,
    *,
    with_text: bool = False,
    on_file: Callable[[ExportedFile], None] = lambda _f: None,
) -> list[ExportedFile]:
    """Write every document of ``library`` under ``dest``; the manifest is written last."""
    files_dir = dest / FILES
    files_dir.mkdir(parents=True, exist_ok=True)
    documents = list(api.documents(library.id))
    names = _unique_names(d["name"] for d in documents)
    exported: list[ExportedFile] = []
    lines: list[str] = []
    for document, name in zip(documents, names, strict=True):
        target = files_dir / name
        downloaded = _fetch(api, library.id, document, target)
        if document.get("attributes"):
            sidecar = target.with_name(target.name + SIDECAR_SUFFIX)
            _write_atomically(sidecar, json.dumps(document["attributes"], indent=1).encode())
        record = {key: document.get(key) for key in MANIFEST_FIELDS}
        record.update(library_id=library.id, library_name=library.name, file=f"{FILES}/{name}")
        if with_text:
            record["text"] = _text(api, library.id, document)
        lines.append(json.dumps(record, ensure_ascii=False, default=str))
        done = ExportedFile(document["id"], f"{FILES}/{name}", int(document["size"]), downloaded)
        exported.append(done)
        on_file(done)
    _write_atomically(dest / MANIFEST, ("\n".join(lines) + "\n" if lines else "").encode())
    return exported


def _fetch(api: LibraryApi, library_id: str, document: dict[str, Any], target: Path) -> bool:
    if target.is_file() and _sha256(target) == document.get("hash"):
        return False
    partial = target.with_name(target.name + ".part")
    with partial.open("wb") as sink:
        api.download(library_id, document["id"], sink)
        sink.flush()
        os.fsync(sink.fileno())
    partial.replace(target)
    return True


def _text(api: LibraryApi, library_id: str, document: dict[str, Any]) -> str | None:
    if document.get("process_status") != "done":
        return None  # no text yet (or none at all): the manifest says which by its status
    return api.text(library_id, document["id"])


def _unique_names(names: Iterator[str]) -> list[str]:
    """Safe file names, ``NAME (2).ext`` for the second document of the same name."""
    used: set[str] = set()
    result: list[str] = []
    for raw in names:
        base = PurePath(raw.replace("\\", "/")).name.lstrip(".") or "document"
        stem, dot, ext = base.rpartition(".")
        stem, ext = (stem, dot + ext) if stem else (base, "")
        name, n = base, 1
        while name.lower() in used or name.endswith(SIDECAR_SUFFIX):
            n += 1
            name = f"{stem} ({n}){ext}"
        used.add(name.lower())
        result.append(name)
    return result


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1024 * 1024):
            digest.update(chunk)
    return digest.hexdigest()


def _write_atomically(path: Path, content: bytes) -> None:
    partial = path.with_name(path.name + ".part")
    partial.write_bytes(content)
    partial.replace(path)
