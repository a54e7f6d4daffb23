"""A French/English evaluation set built from the Debian manual pages installed on the machine.

Provenance: Debian's ``manpages-fr`` package (the French translations of the manual pages,
maintained by the manpages-l10n project, GPL-3.0+) and the English originals that Debian
installs with each program (``manpages``, ``coreutils``, ``man-db``, ...). Pages present in
both languages in section 1 are rendered to plain text with ``man -l`` (as a reader sees them).

Each page gives one document per language and one query per language: the page's one-line
description from its NAME/NOM section ("ls - Afficher le contenu de répertoires" gives the
query "Afficher le contenu de répertoires"), which is removed from the document so that the
query is not copied from its answer. The judgment is binary: the page in the query's language
is the one relevant document. Both languages share one library, so a French query competes
with the English page of the same command (and the other way round). Documents are cut to
``MAX_CHARS`` characters (the page's synopsis and description) to keep ingestion short.

Needs ``man`` and the French pages: ``apt-get install man-db manpages-fr``.
"""

from __future__ import annotations

import gzip
import os
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

MAN_ROOT = Path("/usr/share/man")
LANGUAGES = {"fr": MAN_ROOT / "fr" / "man1", "en": MAN_ROOT / "man1"}
NAME_HEADINGS = ("NAME", "NOM")
MAX_CHARS = 4000
# A description shorter than this says too little to be a query ("ls - ls").
MIN_QUERY_WORDS = 3


@dataclass(frozen=True)
class Page:
    name: str  # e.g. "ls.fr"
    language: str
    query: str
    text: str


@dataclass(frozen=True)
class Bilingual:
    corpus: dict[str, str]  # document name -> text
    queries: dict[str, tuple[str, str]]  # query id -> (language, text)
    qrels: dict[str, set[str]]  # query id -> relevant document names


def render(path: Path) -> str:
    """The page as plain text, the way ``man`` shows it (no bold or underline overstrikes)."""
    env = {**os.environ, "MANWIDTH": "100", "MAN_KEEP_FORMATTING": "0", "LANG": "C.UTF-8"}
    shown = subprocess.run(
        ["man", "-l", "-E", "UTF-8", str(path)],
        capture_output=True,
        env=env,
        check=True,
        timeout=30,
    ).stdout
    text = shown.decode("utf-8", errors="replace")
    return re.sub(r".\x08", "", text)


def split_name(text: str) -> tuple[str, str] | None:
    """(description, text without the NAME section) or None when the page has none."""
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if line.strip() in NAME_HEADINGS:
            end = i + 1
            while end < len(lines) and (not lines[end].strip() or lines[end].startswith(" ")):
                end += 1
            body = " ".join(s.strip() for s in lines[i + 1 : end] if s.strip())
            _, dash, description = body.partition(" - ")
            if not dash:
                return None
            rest = "\n".join(lines[:i] + lines[end:])
            return description.strip(), rest
    return None


def page(command: str, language: str) -> Page | None:
    directory = LANGUAGES[language]
    path = directory / f"{command}.1.gz"
    with gzip.open(path, "rb") as raw:
        if raw.read(4) == b".so ":  # a link to another page: not a page of its own
            return None
    parts = split_name(render(path))
    if parts is None or len(parts[0].split()) < MIN_QUERY_WORDS:
        return None
    description, rest = parts
    compact = re.sub(r"[ \t]+", " ", rest).strip()[:MAX_CHARS]
    return Page(f"{command}.{language}", language, description, compact)


def load_bilingual(limit: int | None = None) -> Bilingual:
    """Pages in both languages (sorted by command, at most ``limit`` commands)."""
    if not LANGUAGES["fr"].is_dir():
        raise SystemExit("the bilingual set needs the French pages: apt-get install manpages-fr")
    commands = sorted(
        p.name.removesuffix(".1.gz")
        for p in LANGUAGES["fr"].glob("*.1.gz")
        if (LANGUAGES["en"] / p.name).exists()
    )
    corpus: dict[str, str] = {}
    queries: dict[str, tuple[str, str]] = {}
    qrels: dict[str, set[str]] = {}
    seen: set[str] = set()
    for command in commands:
        pages = [page(command, language) for language in LANGUAGES]
        if any(p is None or p.text in seen for p in pages):
            continue  # no description, or the same page as another command's (an alias)
        for found in pages:
            assert found is not None
            corpus[found.name] = found.text
            seen.add(found.text)
            queries[found.name] = (found.language, found.query)
            qrels[found.name] = {found.name}
        if limit is not None and len(corpus) >= 2 * limit:
            break
    return Bilingual(corpus, queries, qrels)
