"""Documents in: text, Markdown (front matter, pipe tables), HTML, PDF; language; `transship ingest`."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from transship.claims.documents import detect_language, parse_document, read_document
from transship.exc import SourceFormatError
from transship.ingest.pipeline import ingest_file
from transship.ingest.registry import sniff
from transship.store import Store

HERE = Path(__file__).resolve().parent
FIX = HERE / "fixtures"


def test_markdown_front_matter(tmp_path: Path) -> None:
    doc = read_document(FIX / "sr_latn_municija.md")
    assert (doc.title, doc.publisher, doc.date, doc.url, doc.language) == (
        "Srpska municija preko trećih zemalja",
        "Primer portal",
        "2024-06-23",
        "https://example.org/sr/municija",
        "sr-Latn",
    )
    assert not doc.text.startswith("---") and "# Srpska municija" in doc.text
    data = (FIX / "sr_latn_municija.md").read_bytes()
    assert doc.sha256 == hashlib.sha256(data).hexdigest()
    assert doc.document_id == "doc:" + doc.sha256[:16]


def test_html_main_text_and_metadata() -> None:
    doc = read_document(FIX / "ru_svr.html")
    assert doc.title == "СВР: Сербия поставляет боеприпасы Украине"
    assert (doc.date, doc.publisher, doc.url, doc.language) == (
        "2025-05-29",
        "Пример новостей",
        "https://example.org/ru/svr-serbia",
        "ru",
    )
    assert "сотни тысяч снарядов" in doc.text
    assert "Главная | Политика" not in doc.text  # navigation is not the article


def test_pdf_text_layer_and_info() -> None:
    doc = read_document(FIX / "pdf" / "export_note.pdf")
    assert (doc.title, doc.publisher, doc.date, doc.language) == (
        "Arms export note",
        "Example Institute",
        "2024-03-15",
        "en",
    )
    assert "EUR 1.34 billion in 2023" in doc.text


def test_unreadable_files_are_named_errors(tmp_path: Path) -> None:
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"  \n")
    with pytest.raises(SourceFormatError, match="empty"):
        read_document(empty)
    with pytest.raises(SourceFormatError, match="PDF"):
        parse_document(b"%PDF-1.4\n garbage", "bad.pdf")
    with pytest.raises(SourceFormatError, match="YAML"):
        parse_document(b"---\ntitle: [unclosed\n---\ntext", "bad.md")
    with pytest.raises(SourceFormatError, match="cannot read"):
        read_document(tmp_path / "missing.txt")


@pytest.mark.parametrize(
    ("name", "language"),
    [
        ("sr_latn_municija.md", "sr-Latn"),
        ("sr_cyrl_izvoz.txt", "sr-Cyrl"),
        ("ru_svr.html", "ru"),
        ("uk_import.txt", "uk"),
        ("bg_kintex.txt", "bg"),
        ("pl_amunicja.md", "pl"),
        ("hr_izvoz.txt", "hr"),
    ],
)
def test_language_of_each_fixture(name: str, language: str) -> None:
    doc = read_document(FIX / name)
    assert doc.language == language
    assert detect_language(doc.text) == language  # the guess agrees with what files say


def test_language_of_the_seed_is_english_despite_serbian_names(shared_dir: Path) -> None:
    doc = read_document(shared_dir / "seed" / "serbia-ammunition-exports-report.txt")
    assert doc.language == "en" and doc.title is None and doc.date is None
    assert detect_language("12345 ---") == "und"


def test_ingest_stores_documents_with_meta(store: Store, shared_dir: Path) -> None:
    seed = shared_dir / "seed" / "serbia-ammunition-exports-report.txt"
    assert sniff(seed).name == "documents"
    assert sniff(FIX / "ru_svr.html").name == "documents"
    assert sniff(FIX / "sr_latn_municija.md").name == "documents"
    assert sniff(FIX / "pdf" / "export_note.pdf").name == "documents"  # binary, but a PDF
    for path, fmt in [
        (seed, None),
        (FIX / "ru_svr.html", None),
        (FIX / "pdf" / "export_note.pdf", None),
    ]:
        result = ingest_file(store, path, format=fmt)
        assert (result.status, result.format, result.rows_loaded) == ("ok", "documents", 1)
    rows = store.query(
        "SELECT d.document_id, d.kind, d.published, m.language, m.format, length(d.text) = m.chars AS ok "
        "FROM documents d JOIN document_meta m USING (document_id) ORDER BY d.kind"
    ).to_pylist()
    assert [(r["kind"], r["language"], r["ok"]) for r in rows] == [
        ("html", "ru", True),
        ("pdf", "en", True),
        ("text", "en", True),
    ]
    # the id ingest stores is the one `claims extract` gives the same file
    assert read_document(seed).document_id in {r["document_id"] for r in rows}
    again = ingest_file(store, seed)
    assert again.status == "skipped"
    assert ingest_file(store, FIX / "sr_latn_municija.md").status == "ok"
    given = dict(store.fetchall("SELECT format, language_given FROM document_meta ORDER BY format"))
    assert given == {"html": False, "markdown": True, "pdf": False, "text": False}


def test_sniffing_leaves_tabular_text_to_other_readers(fixtures: Path) -> None:
    assert sniff(fixtures / "licences.csv").name == "licences"
    assert sniff(fixtures / "comtrade_plus_9306.csv").name != "documents"
