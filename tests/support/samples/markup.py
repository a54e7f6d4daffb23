"""E-books, RTF, e-mail and the plain-text family (Markdown, CSV, JSON, XML, YAML, code)."""

from __future__ import annotations

import zipfile
from email.message import EmailMessage
from pathlib import Path

TEXT_FILES = {
    "readme.md": "# Shelf guide\n\nPut the *heavy* books on the lowest shelf.\n",
    "people.csv": "name,city\nAda,London\nGrace,Arlington\n",
    "people.tsv": "name\tcity\nAlan\tManchester\n",
    "config.json": '{"service": "shelf-indexer", "replicas": 3}',
    "events.jsonl": '{"event": "opened"}\n{"event": "closed"}\n',
    "catalog.xml": "<?xml version='1.0'?><catalog><book>Moby Dick</book></catalog>",
    "deploy.yaml": "service: shelf-api\nport: 8080\n",
    "tool.py": "def shelve(book: str) -> str:\n    return book.title()\n",
    "notes.txt": "Plain notes about the shelving of atlases.\n",
}


def write_text_formats(folder: Path) -> None:
    for name, text in TEXT_FILES.items():
        (folder / name).write_text(text, encoding="utf-8")


def write_rtf(path: Path) -> Path:
    path.write_text(
        r"{\rtf1\ansi\deff0{\fonttbl{\f0 Times;}}\f0\fs24 This is a sample RTF letter.\par "
        r"It tells the reader that caf\'e9 opens at nine.\par}",
        encoding="ascii",
    )
    return path


def write_eml(path: Path) -> Path:
    message = EmailMessage()
    message["From"] = "Ada <ada@example.org>"
    message["To"] = "team@example.org"
    message["Subject"] = "Quarterly figures"
    message.set_content("Revenue grew by 12 percent.\nSee the attached sheet.")
    message.add_attachment(b"a,b\n1,2\n", maintype="text", subtype="csv", filename="q3.csv")
    path.write_bytes(bytes(message))
    return path


def write_epub(path: Path) -> Path:
    """A two-chapter EPUB 3 with its container, package document and navigation."""
    opf = (
        '<?xml version="1.0"?><package xmlns="http://www.idpf.org/2007/opf" version="3.0">'
        '<metadata xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title>Small Poems</dc:title>'
        "<dc:creator>Test Author</dc:creator></metadata><manifest>"
        '<item id="nav" href="nav.xhtml" media-type="application/xhtml+xml" properties="nav"/>'
        '<item id="c1" href="c1.xhtml" media-type="application/xhtml+xml"/>'
        '<item id="c2" href="c2.xhtml" media-type="application/xhtml+xml"/>'
        '</manifest><spine><itemref idref="nav"/><itemref idref="c1"/><itemref idref="c2"/>'
        "</spine></package>"
    )
    container = (
        '<?xml version="1.0"?><container version="1.0" '
        'xmlns="urn:oasis:names:tc:opendocument:xmlns:container"><rootfiles>'
        '<rootfile full-path="OEBPS/content.opf" media-type="application/oebps-package+xml"/>'
        "</rootfiles></container>"
    )

    def chapter(title: str, text: str) -> str:
        return (
            '<html xmlns="http://www.w3.org/1999/xhtml"><head><title>c</title></head><body>'
            f"<h1>{title}</h1><p>{text}</p></body></html>"
        )

    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("mimetype", "application/epub+zip")
        archive.writestr("META-INF/container.xml", container)
        archive.writestr("OEBPS/content.opf", opf)
        archive.writestr("OEBPS/nav.xhtml", chapter("Contents", "Chapter 1 Chapter 2"))
        archive.writestr("OEBPS/c1.xhtml", chapter("Chapter 1: Morning", "The river wakes."))
        archive.writestr("OEBPS/c2.xhtml", chapter("Chapter 2: Evening", "The lamps glow."))
    return path
