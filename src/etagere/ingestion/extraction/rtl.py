"""A PDF page that holds Arabic, rebuilt in reading order from where its glyphs are.

A PDF holds positioned glyphs, not text, and PDFium's reading of right-to-left text depends on
how the writer drew it: glyphs drawn one by one in visual order come out as reversed words
("يبيبَح" for "حَبيبي"); a vowel mark drawn before its letter comes out attached to the letter
before it; and a shaped line (what office suites and browsers write), whose marks are raised
above their letters, is broken by PDFium into a line per raised mark.

So a page with Arabic letters is rebuilt from geometry instead of PDFium's order: glyphs sharing
one box (a ligature such as lam-alef, expanded to two characters) stay together; glyphs whose
vertical spans overlap form a row; each combining mark joins the letter it is drawn over (or
under); rows go top to bottom (a wider gap is a paragraph break); a row holding
Arabic reads right to left, the left-to-right runs inside it (Latin words, numbers) left to
right; any other row left to right.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Sequence

Box = tuple[float, float, float, float]  # left, bottom, right, top (PDF points)

_ARABIC_LETTER = re.compile(r"[\u0620-\u064a\u066e-\u06d3\u06fa-\u06ff\ufb50-\ufdff\ufe70-\ufefc]")
_MARK = re.compile(r"[\u064b-\u065f\u0670\u06d6-\u06ed]")
# Marks written under their letter (kasra, kasratan, hamza and subscript alef below...).
_BELOW = re.compile(r"[\u064d\u0650\u0655\u0656\u065c\u065f\u06e3\u06ea\u06ed]")
_LEFT_TO_RIGHT = re.compile(r"[0-9A-Za-z\u00c0-\u024f\u0370-\u03ff\u0400-\u04ff]")
_ALEFS = frozenset("\u0627\u0623\u0625\u0622")  # alef, with hamza above/below, with madda
_LAM = "\u0644"
# A vertical gap between rows wider than this share of the rows' height starts a paragraph.
_PARAGRAPH_GAP = 0.8


def holds_arabic(text: str) -> bool:
    return bool(_ARABIC_LETTER.search(text))


def logical_text(text: str, boxes: Sequence[Box]) -> str:
    """The page's text (``boxes``: one per character, as PDFium reports them) in reading
    order. PDFium's line breaks and generated characters (``\\r``, ``\\n``) are not used."""
    glyphs = [
        (char, box)
        for char, box in zip(text, boxes, strict=False)
        if char.isprintable() and char not in "\r\n"
    ]
    clusters = _clusters(glyphs)
    rows = _rows([c for c in clusters if not c.is_mark])
    _place_marks([c for c in clusters if c.is_mark], rows)
    lines: list[str] = []
    previous: list[_Cluster] | None = None
    for row in rows:
        if previous is not None and _paragraph_gap(previous, row):
            lines.append("")
        lines.append(_read_row(row))
        previous = row
    return "\n".join(lines)


class _Cluster:
    """Characters drawn as one glyph (or a letter and its marks), and where they are."""

    __slots__ = ("bottom", "left", "right", "text", "top")

    def __init__(self, text: str, box: Box) -> None:
        self.text = text
        self.left, self.right = min(box[0], box[2]), max(box[0], box[2])
        self.bottom, self.top = min(box[1], box[3]), max(box[1], box[3])

    @property
    def centre(self) -> float:
        return (self.left + self.right) / 2

    @property
    def middle(self) -> float:
        return (self.bottom + self.top) / 2

    @property
    def visible(self) -> bool:
        return self.top > self.bottom and not self.text.isspace()

    @property
    def is_letter(self) -> bool:
        return bool(_ARABIC_LETTER.match(self.text[0]))

    @property
    def is_mark(self) -> bool:
        return all(_MARK.match(char) for char in self.text)

    def distance(self, x: float) -> float:
        return 0.0 if self.left <= x <= self.right else min(abs(x - self.left), abs(x - self.right))


def _clusters(glyphs: Sequence[tuple[str, Box]]) -> list[_Cluster]:
    """Consecutive characters with one box form one cluster (a ligature's expansion)."""
    clusters: list[_Cluster] = []
    previous: Box | None = None
    for char, box in glyphs:
        if clusters and box == previous and not char.isspace():
            clusters[-1].text += char
        else:
            clusters.append(_Cluster(char, box))
        previous = box
    for cluster in clusters:  # PDFium expands lam-alef with the alef first: lam comes first
        if len(cluster.text) == 2 and cluster.text[0] in _ALEFS and cluster.text[1] == _LAM:
            cluster.text = cluster.text[::-1]
    return clusters


def _place_marks(marks: list[_Cluster], rows: list[list[_Cluster]]) -> None:
    """Each cluster of combining marks joins the letter it is drawn over (or under, for the
    marks written below), after the letter's own text: the nearest such letter across, then
    the nearest up or down. Neither PDFium's order nor rows decide it: a raised mark can sit
    as high as the row above's lowest letters, and PDFium may read it far from its letter."""
    letters = sorted((c for row in rows for c in row if c.is_letter), key=lambda c: c.middle)
    middles = [c.middle for c in letters]
    for mark in marks:
        reach = 3 * (mark.top - mark.bottom) + 20.0  # points: a line or so above and below
        low = bisect.bisect_left(middles, mark.bottom - reach)
        high = bisect.bisect_right(middles, mark.top + reach)
        below = all(_BELOW.match(char) for char in mark.text)
        candidates = [
            c
            for c in letters[low:high]
            if (c.top >= mark.bottom if below else c.bottom <= mark.top)
        ]
        if not candidates:
            continue  # a mark with no letter near it reads as nothing
        x = mark.centre
        owner = min(candidates, key=lambda c: (c.distance(x), _gap(c, mark)))
        owner.text += mark.text


def _gap(letter: _Cluster, mark: _Cluster) -> float:
    """Vertical distance between two boxes (0 when they overlap)."""
    return max(0.0, mark.bottom - letter.top, letter.bottom - mark.top)


def _rows(clusters: list[_Cluster]) -> list[list[_Cluster]]:
    """The rows of the page, top first: visible glyphs whose vertical spans overlap share a
    row; spaces and other empty boxes go to the row nearest them."""
    spans: list[list[float]] = []  # [bottom, top] of each row
    for glyph in sorted((c for c in clusters if c.visible), key=lambda c: -c.middle):
        for span in spans:
            if span[0] <= glyph.middle <= span[1]:
                span[0], span[1] = min(span[0], glyph.bottom), max(span[1], glyph.top)
                break
        else:
            spans.append([glyph.bottom, glyph.top])
    if not spans:
        return []
    spans.sort(key=lambda span: -(span[0] + span[1]))
    rows: list[list[_Cluster]] = [[] for _ in spans]
    for cluster in clusters:
        rows[_nearest(cluster.middle, spans)].append(cluster)
    return [row for row in rows if any(c.visible for c in row)]


def _span(row: list[_Cluster]) -> list[float]:
    visible = [c for c in row if c.visible]
    return [min(c.bottom for c in visible), max(c.top for c in visible)]


def _nearest(y: float, spans: list[list[float]]) -> int:
    """The span (row) nearest the height ``y``: 0 inside it, else the distance to its edge."""

    def outside(span: list[float]) -> float:
        return 0.0 if span[0] <= y <= span[1] else min(abs(y - span[0]), abs(y - span[1]))

    return min(range(len(spans)), key=lambda i: outside(spans[i]))


def _read_row(row: list[_Cluster]) -> str:
    if not any(c.is_letter for c in row):
        ordered = sorted(row, key=lambda c: c.centre)
    else:
        ordered = _restore_left_to_right_runs(sorted(row, key=lambda c: -c.centre))
    return " ".join("".join(c.text for c in ordered).split())


def _paragraph_gap(above: list[_Cluster], below: list[_Cluster]) -> bool:
    height = max(c.top - c.bottom for c in above + below if c.visible)
    return _span(above)[0] - _span(below)[1] > _PARAGRAPH_GAP * height


def _restore_left_to_right_runs(clusters: list[_Cluster]) -> list[_Cluster]:
    """In a row read right to left, read the runs of left-to-right text (Latin words,
    numbers, and the spaces and punctuation between them) left to right."""
    restored: list[_Cluster] = []
    run: list[_Cluster] = []
    pending: list[_Cluster] = []  # neutrals (spaces, punctuation) after the run's last letter
    for cluster in clusters:
        if _LEFT_TO_RIGHT.match(cluster.text[0]):
            run += [*pending, cluster]
            pending = []
        elif run and not cluster.is_letter:
            pending.append(cluster)
        else:
            restored += run[::-1] + pending + [cluster]
            run, pending = [], []
    return restored + run[::-1] + pending
