"""PowerPoint (PPTX) with python-pptx: one page per slide.

Each slide gives its title as a heading, the text of its shapes in tree order (groups are
walked), tables as Markdown tables, charts as their title and data, pictures as their alt
text (never pixels), then the speaker notes.
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterable, Iterator
from pathlib import Path

from lxml import etree  # type: ignore[import-untyped]
from pptx import Presentation
from pptx.chart.chart import Chart
from pptx.enum.shapes import PP_PLACEHOLDER
from pptx.exc import PackageNotFoundError
from pptx.shapes.autoshape import Shape
from pptx.shapes.base import BaseShape
from pptx.shapes.graphfrm import GraphicFrame
from pptx.shapes.group import GroupShape
from pptx.slide import Slide

from . import mime
from .errors import CorruptDocument, ExtractionTooLarge
from .limits import ExtractionLimits, check_zip
from .markdown import blocks, heading, inline, table
from .result import Extraction, assemble

_TITLES = frozenset({PP_PLACEHOLDER.TITLE, PP_PLACEHOLDER.CENTER_TITLE})


def extract_pptx(path: Path, limits: ExtractionLimits) -> Extraction:
    """Extract a PPTX, one page per slide."""
    check_zip(path, limits)
    try:
        presentation = Presentation(str(path))
        slides = list(presentation.slides)
        if len(slides) > limits.max_pages:
            raise ExtractionTooLarge(
                f"The presentation has {len(slides):,} slides; the limit is {limits.max_pages:,}"
            )
        pages = [_slide(slide) for slide in slides]
    except (
        PackageNotFoundError,
        KeyError,
        ValueError,
        zipfile.BadZipFile,
        etree.XMLSyntaxError,
    ) as exc:
        raise CorruptDocument(f"The presentation is damaged and could not be read ({exc})") from exc
    return assemble(pages, mime.PPTX)


def _slide(slide: Slide) -> str:
    parts = [_shape(shape) for shape in _walk(slide.shapes)]
    if slide.has_notes_slide and slide.notes_slide.notes_text_frame is not None:
        notes = slide.notes_slide.notes_text_frame.text.strip()
        if notes:
            parts.append("Notes: " + notes)
    return blocks(parts)


def _walk(shapes: Iterable[BaseShape]) -> Iterator[BaseShape]:
    for shape in shapes:
        if isinstance(shape, GroupShape):
            yield from _walk(shape.shapes)
        else:
            yield shape


def _shape(shape: BaseShape) -> str:
    if isinstance(shape, GraphicFrame):
        if shape.has_table:
            return table([cell.text for cell in row.cells] for row in shape.table.rows)
        return _chart(shape.chart) if shape.has_chart else ""
    if isinstance(shape, Shape):
        if shape.is_placeholder and shape.placeholder_format.type in _TITLES:
            return heading(1, shape.text_frame.text)
        paragraphs = (p.text.strip() for p in shape.text_frame.paragraphs)
        return "\n".join(text for text in paragraphs if text)
    description = shape._element.xpath("./*[1]/p:cNvPr/@descr")
    return f"Image: {inline(description[0])}" if description and description[0].strip() else ""


def _chart(chart: Chart) -> str:
    title = ""
    if chart.has_title and chart.chart_title.has_text_frame:
        title = chart.chart_title.text_frame.text
    plots = list(chart.plots)
    if not plots:
        return heading(3, f"Chart: {title}") if title else ""
    categories = [str(category) for category in plots[0].categories]
    rows: list[list[object]] = [["Category", *(series.name for series in plots[0].series)]]
    values = [list(series.values) for series in plots[0].series]
    for index, category in enumerate(categories):
        rows.append([category, *(v[index] if index < len(v) else "" for v in values)])
    return blocks([heading(3, f"Chart: {title}" if title else "Chart"), table(rows)])
