"""Extractive summaries: representative sentences in document order, robust to odd input."""

from __future__ import annotations

from pathlib import Path

from etagere.ingestion.extraction import ExtractionLimits, extract
from etagere.ingestion.summary import summarize

ON_TOPIC = [
    "Solar panels convert sunlight into electricity for homes.",
    "Modern solar panels reach higher efficiency with better cells.",
    "Homes with solar panels and batteries can store electricity at night.",
]
OFF_TOPIC = "My neighbour's cat enjoys sleeping on warm windowsills all afternoon."


def test_empty_and_blank_text() -> None:
    assert summarize("") == ""
    assert summarize("   \n\n  ") == ""
    assert summarize("Some text here that is fine.", max_sentences=0) == ""


def test_short_text_is_returned_whole() -> None:
    text = "Only one sentence lives in this little document."
    assert summarize(text) == text


def test_picks_representative_sentences_not_outliers() -> None:
    text = " ".join([ON_TOPIC[0], OFF_TOPIC, ON_TOPIC[1], ON_TOPIC[2]])
    summary = summarize(text, max_sentences=2)
    assert OFF_TOPIC not in summary
    assert sum(sentence in summary for sentence in ON_TOPIC) == 2


def test_keeps_document_order() -> None:
    text = "\n\n".join([ON_TOPIC[2], OFF_TOPIC, ON_TOPIC[0], ON_TOPIC[1]])
    summary = summarize(text, max_sentences=3)
    assert summary == " ".join([ON_TOPIC[2], ON_TOPIC[0], ON_TOPIC[1]])


def test_headings_tables_and_code_are_not_sentences() -> None:
    text = "\n\n".join(
        [
            "# Solar panels everywhere in the world today",
            "| a | b |\n| --- | --- |\n| Solar panels convert sunlight | 3 |",
            "```python\nprint('Solar panels convert sunlight into electricity')\n```",
            *ON_TOPIC,
        ]
    )
    summary = summarize(text, max_sentences=3)
    assert "#" not in summary and "|" not in summary and "print" not in summary
    assert summary == " ".join(ON_TOPIC)


def test_table_only_document_falls_back_to_first_lines() -> None:
    text = "## Sheet1\n\n| first | second |\n| --- | --- |\n| 1 | 5 |\n| 2 | 4 |"
    summary = summarize(text, max_sentences=2)
    assert summary == "Sheet1 first second"


def test_real_document_summary(docs: Path, limits: ExtractionLimits) -> None:
    markdown = extract(docs / "docling_wiki_duck.html", filename=None, limits=limits).markdown
    summary = summarize(markdown, max_sentences=3)
    assert "duck" in summary.lower()
    assert 50 < len(summary) < 2000
    assert "|" not in summary
