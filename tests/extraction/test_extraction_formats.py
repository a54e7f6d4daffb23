"""Format behaviour beyond the evaluation set: detection, tables, e-mail, code, OCR pages."""

from __future__ import annotations

import shutil
from email.message import EmailMessage
from pathlib import Path

import pytest
from PIL import Image, ImageDraw, ImageFont

from etagere.ingestion.extraction import ExtractionLimits, UnsupportedType, detect_type, extract
from tests.extraction.test_extraction_eval_docs import assert_valid

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def test_type_comes_from_content_not_extension(tmp_path: Path, samples: Path) -> None:
    renamed = tmp_path / "slides.pdf"
    shutil.copyfile(samples / "report.docx", renamed)
    assert detect_type(renamed, "slides.pdf") == DOCX
    assert detect_type(samples / "word_processors.pdf", "notes.txt") == "application/pdf"


def test_extension_breaks_ties_between_text_types(tmp_path: Path) -> None:
    path = tmp_path / "blob"
    path.write_text("def answer() -> int:\n    return 42\n")
    assert detect_type(path, "tool.py") == "text/x-python"
    assert detect_type(path, "tool.yaml") == "application/yaml"
    assert detect_type(path, None) == "text/plain"


def test_unknown_zip_is_unsupported(tmp_path: Path) -> None:
    path = tmp_path / "bundle.docx"
    shutil.make_archive(str(tmp_path / "bundle"), "zip", root_dir=tmp_path, base_dir=".")
    (tmp_path / "bundle.zip").rename(path)
    with pytest.raises(UnsupportedType) as raised:
        detect_type(path, "bundle.docx")
    assert "ZIP" in raised.value.message


def test_docx_tables_are_markdown_tables(samples: Path, limits: ExtractionLimits) -> None:
    markdown = extract(samples / "report.docx", filename=None, limits=limits).markdown
    assert "| Header 0.0 | Header 0.1 | Header 0.2 |\n| --- | --- | --- |\n| Cell 1.0 |" in markdown
    assert "| Cell 1.0 | Merged Cell 1.1 1.2 | Merged Cell 1.1 1.2 |" in markdown


def test_xlsx_sheets_are_markdown_tables(samples: Path, limits: ExtractionLimits) -> None:
    result = extract(samples / "figures.xlsx", filename=None, limits=limits)
    first = result.page_text(1)
    assert "| first | second | third |\n| --- | --- | --- |\n| 1 | 5 | 9 |" in first
    assert "Sheet2" not in first


def test_csv_cells_with_pipes_are_escaped(tmp_path: Path, limits: ExtractionLimits) -> None:
    path = tmp_path / "data.csv"
    path.write_text('name,expr\nor,"a | b"\nmultiline,"x\ny"\n')
    markdown = extract(path, filename="data.csv", limits=limits).markdown
    assert markdown.splitlines() == [
        "| name | expr |",
        "| --- | --- |",
        "| or | a \\| b |",
        "| multiline | x y |",
    ]


def test_source_code_is_fenced_with_its_language(tmp_path: Path, limits: ExtractionLimits) -> None:
    path = tmp_path / "tool.py"
    path.write_text("def f():\n    return '```'\n")
    markdown = extract(path, filename="tool.py", limits=limits).markdown
    assert markdown.startswith("````python\ndef f():\n    return")
    assert markdown.endswith("\n````")


def test_html_structure_survives(tmp_path: Path, limits: ExtractionLimits) -> None:
    path = tmp_path / "page.html"
    path.write_text(
        "<html><head><title>T</title><script>var x = 1;</script></head><body>"
        "<nav>Home | About</nav><main><h1>Guide</h1><p>First <b>bold</b> words.</p>"
        "<ul><li>one</li><li>two<ol><li>nested</li></ol></li></ul>"
        "<table><tr><th>k</th><th>v</th></tr><tr><td>a|b</td><td colspan=1>2</td></tr></table>"
        + "<p>filler text to make the main element long enough to be chosen.</p>" * 5
        + "</main><footer>Copyright</footer></body></html>"
    )
    markdown = extract(path, filename=None, limits=limits).markdown
    assert markdown.startswith("# Guide\n\nFirst bold words.")
    assert "- one\n- two\n  1. nested" in markdown
    assert "| k | v |\n| --- | --- |\n| a\\|b | 2 |" in markdown
    for chrome in ("Home | About", "Copyright", "var x"):
        assert chrome not in markdown


def test_email_headers_body_and_attachment_names(tmp_path: Path, limits: ExtractionLimits) -> None:
    message = EmailMessage()
    message["From"] = "Ada <ada@example.org>"
    message["To"] = "team@example.org"
    message["Subject"] = "Quarterly figures"
    message.set_content("Revenue grew by 12 percent.\nSee the attached sheet.")
    message.add_alternative("<p>Revenue grew by <b>12 percent</b>.</p>", subtype="html")
    message.add_attachment(b"a,b\n1,2\n", maintype="text", subtype="csv", filename="q3.csv")
    path = tmp_path / "mail"
    path.write_bytes(bytes(message))
    result = extract(path, filename=None, limits=limits)
    assert result.mime_type == "message/rfc822"
    assert result.markdown.startswith("# Quarterly figures\n\nFrom: Ada <ada@example.org>")
    assert "Revenue grew by 12 percent." in result.markdown
    assert "## Attachments\n\n- q3.csv" in result.markdown


def test_json_lines(tmp_path: Path, limits: ExtractionLimits) -> None:
    path = tmp_path / "events.jsonl"
    path.write_text('{"id": 1, "name": "été"}\n{"id": 2}\n')
    result = extract(path, filename="events.jsonl", limits=limits)
    assert result.mime_type == "application/x-ndjson"
    assert '{"id": 1, "name": "été"}' in result.markdown


def _text_image(text: str) -> Image.Image:
    image = Image.new("RGB", (1400, 300), "white")
    font = ImageFont.load_default(size=64)
    ImageDraw.Draw(image).text((40, 100), text, fill="black", font=font)
    return image


@pytest.mark.ocr
def test_multi_frame_tiff_gives_one_page_per_frame(
    tmp_path: Path, limits: ExtractionLimits
) -> None:
    path = tmp_path / "scan.tiff"
    first, second = _text_image("QUARTERLY REPORT"), _text_image("SECOND PAGE HERE")
    first.save(path, save_all=True, append_images=[second])
    result = extract(path, filename=None, limits=limits)
    assert result.ocr_used
    assert [span.number for span in result.pages] == [1, 2]
    assert "QUARTERLY REPORT" in result.page_text(1)
    assert "SECOND PAGE" in result.page_text(2)
    assert_valid(result)


def test_ocr_disabled_gives_empty_text_with_a_warning(samples: Path) -> None:
    limits = ExtractionLimits(ocr=False)
    result = extract(samples / "scanned_report.pdf", filename=None, limits=limits)
    assert result.markdown == ""
    assert not result.ocr_used
    assert result.warnings
    assert_valid(result)


def test_blank_image_without_text_is_empty_not_an_error(
    tmp_path: Path, limits: ExtractionLimits
) -> None:
    path = tmp_path / "blank.png"
    Image.new("RGB", (200, 200), "white").save(path)
    result = extract(path, filename=None, limits=limits)
    assert result.markdown.strip() == ""
    assert_valid(result)


def test_text_starting_with_bm_is_text_not_a_bitmap(tmp_path: Path) -> None:
    bitmap = tmp_path / "scan.txt"
    Image.new("RGB", (8, 8), "white").save(bitmap, format="BMP")
    assert detect_type(bitmap, "scan.txt") == "image/bmp"
    note = tmp_path / "abstract.txt"
    note.write_text("BMI-1 is a polycomb ring finger oncogene.\n\nIt regulates stem cells.\n")
    assert detect_type(note, "abstract.txt") == "text/plain"
