"""What an import reads: files, folders (recursively), glob patterns and the entries of zips.

Enumeration is cheap (names and sizes); content is read later, once to hash it and once per
upload attempt, through ``Source.open`` so that a retry always sends a fresh stream.
Hidden files and folders (a name starting with ``.``) are left out, and so is a sidecar
``NAME.meta.json`` whose ``NAME`` is imported beside it: it is read as that file's attributes.
"""

from __future__ import annotations

import fnmatch
import glob
import zipfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import IO

SIDECAR_SUFFIX = ".meta.json"
ZIP_SUFFIX = ".zip"
MAX_SIDECAR_BYTES = 1024 * 1024


class SourceProblem(Exception):
    """A path given on the command line cannot be read (missing, no match, bad zip)."""


@dataclass(frozen=True)
class Source:
    """One file to import, on disk or inside a zip archive."""

    label: str  # what people see: "docs/a.pdf", "docs/b.zip:inner/c.txt"
    name: str  # the document name sent to the server: the file's own name
    size: int
    path: Path  # the file on disk, or the zip holding it
    member: str | None = None  # the entry inside the zip
    sidecar: bytes | None = None  # the content of NAME.meta.json, if there is one

    @contextmanager
    def open(self) -> Iterator[IO[bytes]]:
        """A fresh stream of the content (each upload attempt opens the archive anew, so
        concurrent uploads from one zip share no handle)."""
        if self.member is None:
            with self.path.open("rb") as stream:
                yield stream
            return
        with zipfile.ZipFile(self.path) as archive, archive.open(self.member) as entry:
            yield entry


@dataclass(frozen=True)
class Selection:
    """Include and exclude globs, matched against the file name and its relative path."""

    include: Sequence[str] = ()
    exclude: Sequence[str] = ()

    def accepts(self, relative: str) -> bool:
        name = PurePosixPath(relative).name

        def matches(patterns: Sequence[str]) -> bool:
            return any(fnmatch.fnmatch(name, p) or fnmatch.fnmatch(relative, p) for p in patterns)

        if self.exclude and matches(self.exclude):
            return False
        return not self.include or matches(self.include)


def find_sources(paths: Sequence[str], selection: Selection = Selection()) -> list[Source]:
    """Every file to import from the command line's paths, in a stable order, each once."""
    found: list[Source] = []
    seen: set[tuple[Path, str | None]] = set()
    for given in paths:
        for source in _expand(given, selection):
            key = (source.path.resolve(), source.member)
            if key not in seen:
                seen.add(key)
                found.append(source)
    return found


def _expand(given: str, selection: Selection) -> Iterator[Source]:
    path = Path(given)
    if path.is_dir():
        yield from _walk(path, selection)
    elif path.is_file():
        yield from _file(path, path.name, str(path), selection, explicit=True)
    elif glob.has_magic(given):
        matched = sorted(glob.glob(given, recursive=True))
        if not matched:
            raise SourceProblem(f"no file matches {given!r}")
        for match in matched:
            yield from _expand(match, selection)
    else:
        raise SourceProblem(f"no such file or folder: {given}")


def _walk(root: Path, selection: Selection) -> Iterator[Source]:
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root)
        if any(part.startswith(".") for part in relative.parts) or not path.is_file():
            continue
        if _is_sidecar_of_sibling(path):
            continue
        yield from _file(path, relative.as_posix(), str(path), selection, explicit=False)


def _file(
    path: Path, relative: str, label: str, selection: Selection, *, explicit: bool
) -> Iterator[Source]:
    if path.suffix.lower() == ZIP_SUFFIX:
        yield from _zip_entries(path, label, selection)
        return
    if not explicit and not selection.accepts(relative):
        return
    sidecar = _read_sidecar(path.with_name(path.name + SIDECAR_SUFFIX))
    yield Source(label=label, name=path.name, size=path.stat().st_size, path=path, sidecar=sidecar)


def _zip_entries(path: Path, label: str, selection: Selection) -> Iterator[Source]:
    try:
        with zipfile.ZipFile(path) as archive:
            infos = {i.filename: i for i in archive.infolist() if not i.is_dir()}
            sidecars = {
                name: archive.read(info)
                for name, info in infos.items()
                if name.endswith(SIDECAR_SUFFIX) and info.file_size <= MAX_SIDECAR_BYTES
            }
    except (zipfile.BadZipFile, OSError) as exc:
        raise SourceProblem(f"{label}: not a readable zip archive ({exc})") from exc
    for name in sorted(infos):
        member = PurePosixPath(name)
        if any(part.startswith(".") or part == "__MACOSX" for part in member.parts):
            continue
        if name.endswith(SIDECAR_SUFFIX) and name[: -len(SIDECAR_SUFFIX)] in infos:
            continue
        if not selection.accepts(name):
            continue
        yield Source(
            label=f"{label}:{name}",
            name=member.name,
            size=infos[name].file_size,
            path=path,
            member=name,
            sidecar=sidecars.get(name + SIDECAR_SUFFIX),
        )


def _is_sidecar_of_sibling(path: Path) -> bool:
    return path.name.endswith(SIDECAR_SUFFIX) and (
        path.with_name(path.name[: -len(SIDECAR_SUFFIX)]).is_file()
    )


def _read_sidecar(path: Path) -> bytes | None:
    try:
        if path.stat().st_size > MAX_SIDECAR_BYTES:
            raise SourceProblem(f"{path}: sidecar larger than 1 MB")
        return path.read_bytes()
    except FileNotFoundError:
        return None
