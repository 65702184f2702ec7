"""Reading documents (plain text, Markdown, HTML, PDF) into :class:`DocumentText`.

Why one reader for four formats: an analyst's folder holds all of them for the same story,
and extraction must see the same thing each time — the text in which character spans are
counted, and who published it when. Everything here runs offline:

* Markdown: YAML front matter (``url``, ``publisher``, ``date``, ``title``, ``language``) is
  read and cut off; the body is kept as written, pipe tables included, so spans point at
  the author's text;
* HTML: trafilatura finds the main text (navigation and footers dropped; tables as pipe
  rows) and the metadata (title, date, site name, canonical URL);
* PDF: pypdf's text layer, pages joined by a blank line; a scanned PDF without a text layer
  is an error, not an empty document.

The language, when the file does not say, is guessed from the script and stop words
(:func:`detect_language`): Serbian Cyrillic is told from Russian, Bulgarian and Ukrainian by
letters only it uses; Serbian, Croatian and Bosnian Latin by words (``hiljada``/``tisuća``,
``evra``/``eura``). The guess is honest about doubt: ``und`` when nothing decides.
"""

from __future__ import annotations

import hashlib
import io
import re
from collections import Counter
from pathlib import Path
from typing import Any

from transship.claims.model import DocumentText
from transship.exc import SourceFormatError
from transship.normalise.dates import partial_date

#: Languages :func:`detect_language` returns (BCP 47): the region's and English.
LANGUAGES = ("en", "sr-Latn", "sr-Cyrl", "hr", "bs", "pl", "bg", "ru", "uk")

_FRONT = re.compile(r"\A\ufeff?---[ \t]*\r?\n(.*?)\r?\n(?:---|\.\.\.)[ \t]*(?:\r?\n|\Z)", re.S)
_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+(.+?)\s*#*\s*$", re.M)

_STOP: dict[str, frozenset[str]] = {
    "en": frozenset(
        "the of and to in is was for that with by as on from are were has have its this "
        "which according million billion".split()
    ),
    "pl": frozenset(
        "i w się nie że na do jest z od przez oraz jak to po tys mln mld według".split()
    ),
    "sr-Latn": frozenset(
        "hiljada hiljade miliona milijardi evra šta ko takođe tokom dinara prema gde "
        "uprkos kroz veoma posle".split()
    ),
    "hr": frozenset(
        "tisuća tisuće milijuna milijarda milijardi eura kuna što tko također tijekom "
        "prema gdje unatoč kroz vrlo nakon".split()
    ),
    "bs": frozenset("hiljada hiljade miliona eura maraka km također tokom prema gdje".split()),
    "ru": frozenset("и в не что на по как это от для из но его она данным млн млрд тыс".split()),
    "bg": frozenset("и на за от се са това като по че които млн млрд лв хил".split()),
    "uk": frozenset("і в не що на по як це від для з але його вона млн млрд тис".split()),
    "sr-Cyrl": frozenset("и у на да се је за од према хиљада милиона милијарди евра".split()),
}
_WORD = re.compile(r"[^\W\d_]+", re.U)


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def document_id_for(sha256: str) -> str:
    """Stable id: the same bytes always give the same document id."""
    return f"doc:{sha256[:16]}"


def detect_language(text: str) -> str:
    """Best guess among :data:`LANGUAGES` from the script and stop words, ``und`` if none.

    Cyrillic: ђ ћ џ ј љ њ are Serbian only, і ї є ґ Ukrainian only, ы э ё Russian (not
    Bulgarian or Ukrainian); Bulgarian is the Cyrillic left with many ъ. Latin: č ć đ š ž
    mark the Serbo-Croatian family, ą ę ł ś ż ź ń Polish; words then decide.
    """
    sample = text[:20000]
    cyr = sum(1 for ch in sample if "\u0400" <= ch <= "\u04ff")
    lat = sum(1 for ch in sample if ch.isalpha() and ch.isascii() or "\u00c0" <= ch <= "\u024f")
    if cyr == 0 and lat == 0:
        return "und"
    words = [w.lower() for w in _WORD.findall(sample)]
    counts = Counter(words)
    low = sample.lower()

    def score(lang: str) -> int:
        return sum(counts[w] for w in _STOP[lang])

    if cyr > lat:
        letters = Counter(ch for ch in low if "\u0400" <= ch <= "\u04ff")
        if sum(letters[c] for c in "ђћџјљњ") >= 2:
            return "sr-Cyrl"
        if sum(letters[c] for c in "іїєґ") >= 2:
            return "uk"
        ru_marks = sum(letters[c] for c in "ыэё")
        if ru_marks >= 2:
            return "ru"
        if letters["ъ"] >= 2:
            return "bg"
        best = max(("ru", "bg", "uk", "sr-Cyrl"), key=score)
        return best if score(best) else "und"
    en = score("en")
    if en >= 5 and en * 3 >= len(words) / 10:
        return "en"  # names like "Vučić" in English text do not make it Serbian
    marks = Counter(ch for ch in low if ch in "čćđšžąęłśżźń")
    if sum(marks[c] for c in "ąęłśżźń") >= 2 and sum(marks[c] for c in "ćđč") <= marks["ł"]:
        return "pl"
    if sum(marks[c] for c in "čćđšž") >= 2 or score("sr-Latn") + score("hr") + score("bs") >= 2:
        family = {lang: score(lang) for lang in ("sr-Latn", "hr", "bs")}
        best = max(family, key=lambda k: family[k])
        if family[best] == 0:
            return "sr-Latn" if "đ" in low or "ć" in low else "und"
        # Bosnian shares most words with both; it only wins on words the others lack.
        if best == "bs" and (counts["eura"] == 0 or counts["hiljada"] + counts["hiljade"] == 0):
            best = "hr" if counts["eura"] else "sr-Latn"
        return best
    if score("pl") > score("en") and score("pl") >= 2:
        return "pl"
    return "en" if score("en") >= 2 else "und"


def _front_matter(text: str) -> tuple[dict[str, Any], str]:
    match = _FRONT.match(text)
    if not match:
        return {}, text
    import yaml

    try:
        meta = yaml.safe_load(match.group(1))
    except yaml.YAMLError as exc:
        raise ValueError(f"front matter is not YAML: {exc}") from None
    if not isinstance(meta, dict):
        return {}, text
    return {str(k).lower(): v for k, v in meta.items()}, text[match.end() :]


def _iso(value: Any) -> str | None:
    """A date as ISO prefix (``2024``, ``2024-06``, ``2024-06-22``); None when unreadable."""
    if value is None or value == "":
        return None
    text = str(value).strip()
    m = re.match(r"D:(\d{4})(\d{2})?(\d{2})?", text)  # PDF dates: D:20240622120000Z
    if m:
        return "-".join(p for p in m.groups() if p)
    try:
        return partial_date(text[:10] if re.match(r"\d{4}-\d{2}-\d{2}", text) else text)
    except Exception:  # noqa: BLE001 - an unreadable date is unknown, not an error
        from transship.claims.dates import find_dates

        found = find_dates(text)
        return found[0].first if found else None


def _str(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _title_from(text: str) -> str | None:
    heading = _HEADING.search(text)
    if heading:
        return heading.group(1).strip()
    for line in text.splitlines():
        line = line.strip()
        if line:
            # a first line that is a heading, not the first sentence of the text
            return line if len(line) <= 120 and not line.endswith((".", ",", ";")) else None
    return None


def sniff_kind(path: Path, data: bytes) -> str:
    """text, markdown, html or pdf, by content first, then by the file name."""
    head = data[:2048].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    suffix = path.suffix.lower()
    if head.startswith(b"%pdf-") or suffix == ".pdf":
        return "pdf"
    if suffix in (".html", ".htm", ".xhtml") or head.startswith((b"<!doctype html", b"<html")):
        return "html"
    if suffix in (".md", ".markdown") or head.startswith(b"---"):
        return "markdown"
    return "text"


def _decode(path: Path, data: bytes) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            return data.decode("cp1251" if data.count(b"\xe0") < data.count(b"\xe5") else "cp1250")
        except UnicodeDecodeError:
            raise SourceFormatError(path, "text is neither UTF-8 nor a Windows code page") from None


def _read_pdf(path: Path, data: bytes) -> tuple[str, dict[str, Any]]:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data))
        pages = [(page.extract_text() or "").strip() for page in reader.pages]
        info: dict[str, Any] = dict(reader.metadata or {})
    except PdfReadError as exc:
        raise SourceFormatError(path, f"not a readable PDF: {exc}") from None
    except Exception as exc:  # noqa: BLE001 - pypdf raises many kinds on a damaged file
        raise SourceFormatError(path, f"not a readable PDF: {type(exc).__name__}") from None
    text = "\n\n".join(p for p in pages if p)
    if not text.strip():
        raise SourceFormatError(path, "PDF has no text layer (a scan?): run OCR first")
    meta: dict[str, Any] = {
        "title": info.get("/Title"),
        "publisher": info.get("/Author"),
        "date": info.get("/CreationDate"),
    }
    return text, meta


def _read_html(path: Path, data: bytes) -> tuple[str, dict[str, Any]]:
    import trafilatura

    html = _decode(path, data)
    try:
        doc = trafilatura.bare_extraction(
            html, with_metadata=True, include_tables=True, include_comments=False
        )
    except Exception as exc:  # noqa: BLE001 - lxml and trafilatura raise many kinds
        raise SourceFormatError(path, f"not a readable HTML page: {type(exc).__name__}") from None
    text = getattr(doc, "text", None) if doc is not None else None
    if not text:
        raise SourceFormatError(path, "no main text found in the HTML page")
    meta = {
        "title": getattr(doc, "title", None),
        "publisher": getattr(doc, "sitename", None) or getattr(doc, "hostname", None),
        "date": getattr(doc, "date", None),
        "url": getattr(doc, "url", None),
        "language": getattr(doc, "language", None),
    }
    return str(text), meta


def parse_document(
    data: bytes, path: str | Path = "<memory>", kind: str | None = None
) -> DocumentText:
    """A DocumentText from bytes; ``kind`` (text, markdown, html, pdf) is sniffed if None."""
    return parse_document_declared(data, path, kind)[0]


def parse_document_declared(
    data: bytes, path: str | Path = "<memory>", kind: str | None = None
) -> tuple[DocumentText, bool]:
    """:func:`parse_document` and whether the file declared its language (front matter,
    HTML) rather than it being guessed."""
    where = Path(path)
    if not data.strip():
        raise SourceFormatError(where, "file is empty")
    sha = sha256_bytes(data)
    kind = kind or sniff_kind(where, data)
    meta: dict[str, Any] = {}
    if kind == "pdf":
        text, meta = _read_pdf(where, data)
    elif kind == "html":
        text, meta = _read_html(where, data)
    else:
        text = _decode(where, data)
        try:
            meta, text = _front_matter(text)
        except ValueError as exc:
            raise SourceFormatError(where, str(exc), line=1) from None
    text = text.replace("\r\n", "\n")
    language = _str(meta.get("language") or meta.get("lang"))
    declared = language is not None
    if language is None or language.lower() in ("sr", "srp"):
        guessed = detect_language(text)
        if language is None or guessed.startswith("sr"):
            language = guessed
    title = _str(meta.get("title")) or (_title_from(text) if kind != "pdf" else None)
    doc = DocumentText(
        document_id=document_id_for(sha),
        sha256=sha,
        title=title,
        date=_iso(meta.get("date") or meta.get("published")),
        publisher=_str(meta.get("publisher") or meta.get("source") or meta.get("site")),
        language=language,
        url=_str(meta.get("url") or meta.get("link")),
        path=str(path) if str(path) != "<memory>" else None,
        text=text,
    )
    return doc, declared


def read_document(path: str | Path) -> DocumentText:
    """Read one text, Markdown, HTML or PDF file; :class:`SourceFormatError` if unreadable."""
    where = Path(path)
    try:
        data = where.read_bytes()
    except OSError as exc:
        raise SourceFormatError(where, f"cannot read: {exc.strerror or exc}") from None
    return parse_document(data, where)
