"""make install compiles the translations: with msgfmt when installed, else in pure Python."""

from __future__ import annotations

import gettext
import shutil

import pytest
from django.core.management import call_command

PO = '''msgid ""
msgstr ""
"Content-Type: text/plain; charset=UTF-8\\n"

msgid "Interlibrary loan"
msgstr "Fernleihe"
'''


@pytest.fixture
def locale(settings, tmp_path):
    messages = tmp_path / "de" / "LC_MESSAGES"
    messages.mkdir(parents=True)
    (messages / "django.po").write_text(PO, encoding="utf-8")
    settings.LOCALE_PATHS = [tmp_path]
    return messages


def translated(messages) -> str:
    with open(messages / "django.mo", "rb") as mo:
        return gettext.GNUTranslations(mo).gettext("Interlibrary loan")


def test_without_msgfmt_the_catalogues_compile_in_pure_python_and_it_says_so(locale, monkeypatch, capsys):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    call_command("compile_translations")
    assert translated(locale) == "Fernleihe"
    assert "msgfmt (Debian's gettext package) is not installed" in capsys.readouterr().out


def test_with_msgfmt_the_catalogues_compile_with_it(locale, capsys):
    if shutil.which("msgfmt") is None:
        pytest.skip("msgfmt is not installed (Debian package gettext)")
    call_command("compile_translations")
    assert translated(locale) == "Fernleihe"
    assert "1 catalogue(s) compiled" in capsys.readouterr().out


def test_an_unchanged_catalogue_is_not_compiled_again(locale, capsys):
    call_command("compile_translations")
    call_command("compile_translations")
    assert "0 catalogue(s) compiled, 1 already up to date" in capsys.readouterr().out


def test_a_broken_catalogue_stops_with_its_name(locale):
    if shutil.which("msgfmt") is None:
        pytest.skip("msgfmt is not installed (Debian package gettext)")
    broken = PO + '\n#, python-format\nmsgid "%(count)s requests"\nmsgstr "Anfragen"\n'
    (locale / "django.po").write_text(broken, encoding="utf-8")
    with pytest.raises(Exception, match="django.po"):
        call_command("compile_translations", "--force")
    assert not (locale / "django.mo").exists()
