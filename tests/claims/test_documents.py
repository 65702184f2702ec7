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


def _pdf(lines: list[str]) -> bytes:
    """A one-page PDF with a text layer, written by hand, with the binary comment line that
    real PDF writers put after the header."""
    body = " ".join(f"({ln}) Tj T*" for ln in lines)
    content = f"BT /F1 11 Tf 50 750 Td 14 TL {body} ET"
    objs = [
        "<< /Type /Catalog /Pages 2 0 R >>",
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        "/Resources << /Font << /F1 5 0 R >> >> >>",
        f"<< /Length {len(content)} >>\nstream\n{content}\nendstream",
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        "<< /Title (Hand-made note) /Author (Helper Press) /CreationDate (D:20250301000000Z) >>",
    ]
    out = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n"
    offsets = []
    for i, o in enumerate(objs, 1):
        offsets.append(len(out))
        out += f"{i} 0 obj\n{o}\nendobj\n".encode()
    xref = len(out)
    out += f"xref\n0 {len(objs) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{o:010d} 00000 n \n".encode() for o in offsets)
    out += f"trailer\n<< /Size {len(objs) + 1} /Root 1 0 R /Info 6 0 R >>\n".encode()
    return out + f"startxref\n{xref}\n%%EOF\n".encode()


def test_a_binary_pdf_and_an_html_page_go_through_ingest_and_extract(
    store: Store, tmp_path: Path
) -> None:
    # no --format: the PDF's binary bytes do not stop sniffing; Serbian genitive dates
    pdf = tmp_path / "note.pdf"
    pdf.write_bytes(
        _pdf(
            [
                "According to the Financial Times, Serbia exported EUR 800 million of ammunition",
                "between 2022 and 2024.",
            ]
        )
    )
    html = tmp_path / "izvoz.html"
    html.write_text(
        '<!DOCTYPE html><html lang="sr"><head><meta charset="utf-8"><title>Izvoz</title>'
        '<meta name="date" content="2024-06-20"></head><body><nav>Početna | Vesti</nav>'
        "<article><p>Prema podacima Ministarstva trgovine, Srbija je 12. marta 2017. izvezla "
        "municiju vrednu 1,6 milijardi evra.</p><p>Како преноси Танјуг, 12 марта извоз је "
        "достигао 800 млн евра.</p></article></body></html>",
        encoding="utf-8",
    )
    for path, kind in ((pdf, "pdf"), (html, "html")):
        result = ingest_file(store, path)
        assert (result.status, result.format) == ("ok", "documents"), result.message
        doc = read_document(path)
        assert store.fetchall(
            "SELECT kind FROM documents WHERE document_id = ?", [doc.document_id]
        ) == [(kind,)]
    from transship.claims.model import extract

    (ft,) = extract(read_document(pdf))
    assert ft.quantity is not None and ft.quantity.value == 8e8
    assert ft.period == ("2022", "2024") and [a.name for a in ft.attributed_to] == [
        "Financial Times"
    ]
    doc = read_document(html)
    assert doc.date == "2024-06-20" and "Početna" not in doc.text
    latin, cyrillic = extract(doc)
    assert latin.period == ("2017-03-12", "2017-03-12") and latin.quantity.value == 1.6e9
    assert cyrillic.period == ("2024-03-12", "2024-03-12")  # the document's year
    assert [a.name for a in cyrillic.attributed_to] == ["Танјуг"]
