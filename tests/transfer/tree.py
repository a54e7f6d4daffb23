"""A folder of documents as a team would bring it: mixed formats, sub-folders, a zip, sidecars,
front matter, a duplicate, and files the server will refuse or fail to process."""

from __future__ import annotations

import json
import os
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import docx

from tests.extraction.extraction_fixtures import write_text_pdf

TOPICS = ["harbour", "glacier", "orchard", "lighthouse", "bakery", "observatory", "vineyard"]


@dataclass
class Tree:
    root: Path
    accepted: int = 0  # distinct files the server accepts (each becomes one document)
    duplicates: list[str] = field(default_factory=list)
    refused: dict[str, int] = field(default_factory=dict)  # file name -> expected status
    broken: list[str] = field(default_factory=list)  # accepted, then processing ends in error
    sidecar_attributes: dict[str, dict[str, object]] = field(default_factory=dict)
    front_matter: dict[str, dict[str, object]] = field(default_factory=dict)


def sentence(i: int) -> str:
    topic = TOPICS[i % len(TOPICS)]
    return f"Record {i}: the {topic} ledger number {i * 7919} describes item {i} of the archive."


def build_tree(root: Path, files: int = 200, *, big_file_mb: float = 1.5) -> Tree:
    """``files`` distinct importable files (10 of them inside ``bundle.zip``) and the rest."""
    tree = Tree(root)
    loose = files - 10
    kinds = ["txt", "md", "html", "csv", "json", "pdf", "docx"]
    for i in range(loose):
        kind = kinds[i % len(kinds)]
        folder = root / f"team-{i % 3}" / f"year-{2020 + i % 4}"
        folder.mkdir(parents=True, exist_ok=True)
        _write(folder / f"doc-{i:03d}.{kind}", kind, i, tree)
    with zipfile.ZipFile(root / "bundle.zip", "w") as archive:
        for i in range(loose, files):
            archive.writestr(f"inner/note-{i:03d}.txt", sentence(i) + "\n")
        archive.writestr(
            f"inner/note-{loose:03d}.txt.meta.json", json.dumps({"source": "zip", "rank": 1})
        )
        tree.sidecar_attributes[f"note-{loose:03d}.txt"] = {"source": "zip", "rank": 1}
    tree.accepted = files
    # A copy of an earlier file: the same bytes are one document.
    (root / "team-2" / "copy-of-doc-000.txt").write_bytes((root / _first_txt(root)).read_bytes())
    tree.duplicates.append("copy-of-doc-000.txt")
    # Refused at upload: unknown binary types (415), one file over the server's limit (413).
    refused = root / "refused"
    refused.mkdir()
    for n in range(3):
        (refused / f"blob-{n}.bin").write_bytes(b"\x00\x01\xfe\xff" + os.urandom(2048))
        tree.refused[f"blob-{n}.bin"] = 415
    (refused / "huge.txt").write_bytes(b"x" * int(big_file_mb * 1024 * 1024))
    tree.refused["huge.txt"] = 413
    # Accepted (it claims to be a PDF) but cannot be processed.
    (root / "team-1" / "broken.pdf").write_bytes(b"%PDF-1.4\n" + b"not really a pdf " * 64)
    tree.broken.append("broken.pdf")
    tree.accepted += 1
    # Hidden files are not imported.
    (root / ".DS_Store").write_bytes(b"\x00\x00\x00\x01Bud1")
    return tree


def _first_txt(root: Path) -> Path:
    return Path("team-0") / "year-2020" / "doc-000.txt"


def _write(path: Path, kind: str, i: int, tree: Tree) -> None:
    text = sentence(i)
    if kind == "txt":
        path.write_text(text + "\n")
        if i % 10 == 0:
            attributes = {"team": f"team-{i % 3}", "reviewed": i % 20 == 0}
            path.with_name(path.name + ".meta.json").write_text(json.dumps(attributes))
            tree.sidecar_attributes[path.name] = attributes
    elif kind == "md":
        if i % 2:
            path.write_text(f"---\ntitle: Note {i}\nyear: {2000 + i}\n---\n# Note {i}\n\n{text}\n")
            tree.front_matter[path.name] = {"title": f"Note {i}", "year": 2000 + i}
        else:
            path.write_text(f"# Note {i}\n\n{text}\n")
    elif kind == "html":
        path.write_text(f"<html><head><title>Page {i}</title></head><body><p>{text}</p></body>")
    elif kind == "csv":
        path.write_text(f"record,topic,ledger\n{i},{TOPICS[i % len(TOPICS)]},{i * 7919}\n")
    elif kind == "json":
        path.write_text(json.dumps({"record": i, "text": text}))
    elif kind == "pdf":
        write_text_pdf(path, [text, f"Second page of record {i}."])
    else:
        document = docx.Document()
        document.add_heading(f"Memo {i}", level=1)
        document.add_paragraph(text)
        document.save(str(path))
