"""A pseudo-language for finding English left unmarked: every string of our German catalogue becomes ⟪its English⟫.

``install(directory)`` writes locale/de's messages as a catalogue whose every translation is its msgid between
⟪ and ⟫; with it in ``LOCALE_PATHS`` a page rendered in German shows each marked string wrapped, while Django's
own strings (month names, form errors) stay real German. ``english_left(html, allowed)`` returns the words that
are outside every ⟪…⟫ and are not data of the test (titles, names, numbers) or known names: text someone forgot
to mark, or a marked string missing from the catalogue.
"""

from __future__ import annotations

import re
import unicodedata
from html.parser import HTMLParser
from pathlib import Path

import polib
from django.conf import settings
from django.utils import translation
from django.utils.translation import trans_real

OPEN, CLOSE = "⟪", "⟫"
#: Visible or read-aloud attributes (hidden inputs' values are not).
SHOWN_ATTRIBUTES = {"title", "aria-label", "placeholder", "alt", "data-confirm", "data-confirm-title"}
#: Names that are the same in every language: the product, identifiers, formats, the languages in their own names.
ALWAYS_ALLOWED = {"ILLMS", "ISBN", "ISSN", "DOI", "OCLC", "PMID", "PDF", "JSON", "CSV", "HTML", "ILL", "English",
                  "Deutsch", "Français", "Español"}
WORD = re.compile(r"[A-Za-zÀ-ÿ][A-Za-zÀ-ÿ'’]{2,}")
INNERMOST = re.compile(f"{OPEN}[^{OPEN}{CLOSE}]*{CLOSE}")


def _wrap(text: str) -> str:
    return f"{OPEN}{text}{CLOSE}" if text else text


def install(directory: Path, language: str = "de") -> None:
    """Our catalogue of ``language`` as pseudo-translations under ``directory``; Django reads it afresh."""
    source = polib.pofile(str(Path(settings.BASE_DIR) / "locale" / language / "LC_MESSAGES" / "django.po"))
    pseudo = polib.POFile()
    pseudo.metadata = dict(source.metadata)
    for entry in source:
        copy = polib.POEntry(msgctxt=entry.msgctxt, msgid=entry.msgid, msgid_plural=entry.msgid_plural)
        if entry.msgid_plural:
            copy.msgstr_plural = {0: _wrap(entry.msgid), 1: _wrap(entry.msgid_plural)}
        else:
            copy.msgstr = _wrap(entry.msgid)
        pseudo.append(copy)
    target = directory / language / "LC_MESSAGES"
    target.mkdir(parents=True, exist_ok=True)
    pseudo.save_as_mofile(str(target / "django.mo"))
    forget_catalogues()


def forget_catalogues() -> None:
    trans_real._translations = {}
    trans_real._default = None
    translation.deactivate()


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs) -> None:
        if tag in {"script", "style"}:
            self._skip += 1
        attributes = dict(attrs)
        for name, value in attrs:
            # An input button shows its value; a <button>'s value is only sent, never shown.
            if value and (name in SHOWN_ATTRIBUTES or (name == "value" and tag == "input"
                                                       and attributes.get("type") in {"submit", "button"})):
                self.parts.append(value)

    def handle_endtag(self, tag) -> None:
        if tag in {"script", "style"} and self._skip:
            self._skip -= 1

    def handle_data(self, data) -> None:
        if not self._skip:
            self.parts.append(data)


def visible_text(html: str) -> list[str]:
    parser = _Text()
    parser.feed(html)
    return parser.parts


def django_words(language: str = "de") -> set[str]:
    """The words of Django's own translations into ``language`` (form errors, field labels of its auth forms):
    real German, not English left."""
    with translation.override(language):
        catalogue = trans_real.translation(language)._catalog
        return {word for _key, value in catalogue.items() if isinstance(value, str) and OPEN not in value
                for word in WORD.findall(unicodedata.normalize("NFC", value))}


def english_left(text_or_html: str, allowed=(), *, html: bool = True) -> list[str]:
    """Words outside ⟪…⟫ that are neither ``allowed`` data, Django's own German nor names every language shares.

    The whole text is read at once, so a marked string holding markup (``Error 404 at <code>/x</code>``) counts
    as one; ``allowed`` values of one word are compared as words, longer ones removed where they stand alone.
    """
    text = unicodedata.normalize("NFC", " \n ".join(visible_text(text_or_html)) if html else text_or_html)
    while True:
        stripped = INNERMOST.sub(" ", text)
        if stripped == text:
            break
        text = stripped
    text = re.sub(r"https?://\S+|\S+@\S+", " ", text)  # addresses are data
    values = {unicodedata.normalize("NFC", str(a)) for a in allowed if a}
    known = ALWAYS_ALLOWED | django_words() | {v for v in values if WORD.fullmatch(v)}
    for value in sorted(values - known, key=len, reverse=True):
        text = re.sub(rf"(?<!\w){re.escape(value)}(?!\w)", " ", text)
    return [word for word in WORD.findall(text) if word not in known]
