"""The translation catalogues are complete, current, compiled and safe to render.

Every language in ``settings.LANGUAGES`` other than English has ``locale/<lang>/LC_MESSAGES/
django.po`` and its compiled ``django.mo`` (both committed: a fresh clone and the Docker image
need no gettext). These tests fail when

* a message is untranslated or fuzzy (or the catalogue header is fuzzy, which would drop the
  plural formula from the compiled file);
* the source has a message the catalogue lacks, or the catalogue keeps one the source no longer
  has: ``make messages`` was not run after a change (the extraction runs ``makemessages`` with
  the Makefile's own flags on a temporary copy of the source);
* the ``.mo`` file does not hold exactly the ``.po`` file's translations (not recompiled);
* a translation's placeholders (``%(name)s``, ``%s``, ``{name}``) or HTML tags differ from the
  English message's, which would crash a page or show the English text instead.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

import polib
import pytest
from django.conf import settings

ROOT = Path(settings.BASE_DIR)
LANGUAGES = [code for code, _name in settings.LANGUAGES if code != settings.LANGUAGE_CODE]

Key = tuple[str | None, str, str]


def _po_path(language: str) -> Path:
    return ROOT / "locale" / language / "LC_MESSAGES" / "django.po"


def _key(entry: polib.POEntry | polib.MOEntry) -> Key:
    return (entry.msgctxt, entry.msgid, entry.msgid_plural or "")


def _load(language: str) -> polib.POFile:
    path = _po_path(language)
    assert path.exists(), f"{path.relative_to(ROOT)} is missing: run `make messages`"
    return polib.pofile(str(path), wrapwidth=0)


def _show(keys: list[Key] | list[str], limit: int = 15) -> str:
    shown = "\n  ".join(repr(k) for k in keys[:limit])
    more = f"\n  ... and {len(keys) - limit} more" if len(keys) > limit else ""
    return f"\n  {shown}{more}"


# --- Complete ---------------------------------------------------------------------------------


def _untranslated(entry: polib.POEntry, nplurals: int) -> bool:
    if entry.msgid_plural:
        forms = entry.msgstr_plural
        return len(forms) != nplurals or not all(forms.get(i) for i in range(nplurals))
    return not entry.msgstr


def _nplurals(po: polib.POFile) -> int:
    match = re.search(r"nplurals\s*=\s*(\d+)", po.metadata.get("Plural-Forms", ""))
    assert match, "the catalogue header has no Plural-Forms"
    return int(match.group(1))


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_message_is_translated_and_none_is_fuzzy(language: str) -> None:
    po = _load(language)
    assert not po.metadata_is_fuzzy, (
        f"{language}: the catalogue header is marked fuzzy; remove '#, fuzzy' above msgid \"\" "
        "(msgfmt would otherwise drop the header and its plural formula)"
    )
    nplurals = _nplurals(po)
    fuzzy = [e.msgid for e in po if "fuzzy" in e.flags and not e.obsolete]
    assert not fuzzy, f"{language}: {len(fuzzy)} fuzzy messages:{_show(fuzzy)}"
    untranslated = [e.msgid for e in po if not e.obsolete and _untranslated(e, nplurals)]
    assert not untranslated, (
        f"{language}: {len(untranslated)} untranslated messages (plural messages need all "
        f"{nplurals} forms):{_show(untranslated)}"
    )
    obsolete = [e.msgid for e in po.obsolete_entries()]
    assert not obsolete, f"{language}: obsolete (#~) entries left:{_show(obsolete)}"


# --- Current ----------------------------------------------------------------------------------


def _makemessages_flags() -> list[str]:
    """The flags of ``make messages``: one definition, in the Makefile."""
    makefile = (ROOT / "Makefile").read_text()
    match = re.search(r"^MAKEMESSAGES_FLAGS\s*:=\s*(.+)$", makefile, re.MULTILINE)
    assert match, "the Makefile defines no MAKEMESSAGES_FLAGS"
    return shlex.split(match.group(1))


def _copy_ignored(flags: list[str]) -> set[str]:
    return {f.split("=", 1)[1] for f in flags if f.startswith("--ignore=")}


@pytest.fixture(scope="module")
def source_messages(tmp_path_factory: pytest.TempPathFactory) -> set[Key]:
    """The messages of the current source, extracted by ``makemessages`` with the Makefile's
    flags from a copy of the project (so that nothing is written into the working tree)."""
    assert shutil.which("xgettext"), "gettext (xgettext) must be installed to check catalogues"
    flags = _makemessages_flags()
    ignored = _copy_ignored(flags) | {"locale", "__pycache__", "staticfiles", "test-artifacts"}
    copy = tmp_path_factory.mktemp("messages") / "project"

    def ignore(directory: str, names: list[str]) -> set[str]:
        relative = Path(directory).relative_to(ROOT)
        return {
            name
            for name in names
            if name in ignored
            or name.startswith(".")
            or (relative / name).as_posix() in ignored
            or name.endswith((".pyc", ".mo", ".po", ".egg-info"))
            # Another makemessages run's temporaries (templates/x.html.py) are not source.
            or name.endswith((".html.py", ".txt.py"))
        }

    shutil.copytree(ROOT, copy, ignore=ignore, symlinks=True)
    (copy / "locale").mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    env["DJANGO_SETTINGS_MODULE"] = "custos.settings"  # the copy has no tests/ (tests.settings)
    result = subprocess.run(
        [sys.executable, "manage.py", "makemessages", "-l", "xx", *flags],
        cwd=copy,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    extracted = polib.pofile(str(copy / "locale" / "xx" / "LC_MESSAGES" / "django.po"))
    messages = {_key(e) for e in extracted if not e.obsolete}
    assert len(messages) > 100, "the extraction found almost nothing: is the copy complete?"
    return messages


@pytest.mark.parametrize("language", LANGUAGES)
def test_catalogue_holds_exactly_the_messages_of_the_source(
    language: str, source_messages: set[Key]
) -> None:
    catalogue = {_key(e) for e in _load(language) if not e.obsolete}
    missing = sorted(source_messages - catalogue, key=str)
    assert not missing, (
        f"{language}: {len(missing)} messages of the source are not in the catalogue; "
        f"run `make messages` and translate them:{_show(missing)}"
    )
    stale = sorted(catalogue - source_messages, key=str)
    assert not stale, (
        f"{language}: {len(stale)} messages no longer in the source; "
        f"run `make messages`:{_show(stale)}"
    )


# --- Compiled ---------------------------------------------------------------------------------


def _translations(entries) -> dict[Key, object]:
    table: dict[Key, object] = {}
    for e in entries:
        if e.msgid == "" or e.obsolete or "fuzzy" in e.flags:
            continue
        if e.msgid_plural:
            if any(e.msgstr_plural.values()):
                table[_key(e)] = tuple(e.msgstr_plural[i] for i in sorted(e.msgstr_plural))
        elif e.msgstr:
            table[_key(e)] = e.msgstr
    return table


@pytest.mark.parametrize("language", LANGUAGES)
def test_compiled_catalogue_matches_its_source(language: str) -> None:
    po = _load(language)
    mo_path = _po_path(language).with_suffix(".mo")
    assert mo_path.exists(), (
        f"{language}: {mo_path.relative_to(ROOT)} is missing: run `make messages`"
    )
    mo = polib.mofile(str(mo_path))
    assert _translations(mo) == _translations(po), (
        f"{language}: django.mo differs from django.po: run `make messages` "
        "(or `manage.py compilemessages`)"
    )
    assert mo.metadata.get("Plural-Forms") == po.metadata.get("Plural-Forms"), (
        f"{language}: django.mo has another plural formula than django.po: recompile it"
    )


# --- Safe -------------------------------------------------------------------------------------

PERCENT = re.compile(
    r"%(?:\((?P<name>[^)]*)\))?[#0 +-]*(?:\*|\d+)?(?:\.(?:\*|\d+))?[hlL]?(?P<conv>.)"
)
BRACE = re.compile(r"(?<!\{)\{(?P<name>[A-Za-z_][\w.]*|\d*)(?:[!:][^{}]*)?\}(?!\})")
TAG = re.compile(r"<[^<>]+>")


def _percent(text: str) -> tuple[Counter[str], list[str]]:
    """Named and positional %-placeholders (``%%`` is a literal percent sign)."""
    named: Counter[str] = Counter()
    positional: list[str] = []
    for m in PERCENT.finditer(text):
        if m.group("conv") == "%":
            continue
        if m.group("name") is not None:
            named[m.group("name")] += 1
        else:
            positional.append(m.group("conv"))
    return named, positional


def _problems(entry: polib.POEntry) -> list[str]:
    python_format = "python-format" in entry.flags
    brace_format = "python-brace-format" in entry.flags
    if entry.msgid_plural:
        forms = [entry.msgstr_plural[i] for i in sorted(entry.msgstr_plural)]
        pairs = [(entry.msgid_plural if i else entry.msgid, f) for i, f in enumerate(forms)]
    else:
        pairs = [(entry.msgid, entry.msgstr)]
    problems = []
    for index, (source, translation) in enumerate(pairs):
        if not translation:
            continue
        last = index == len(pairs) - 1
        if python_format or "%(" in source:
            source_named, source_positional = _percent(source)
            named, positional = _percent(translation)
            if entry.msgid_plural:
                # A plural form may leave out the count ("un caso"), but may not use a name the
                # code does not pass, and the general form must keep them all.
                allowed = set(_percent(entry.msgid)[0]) | set(_percent(entry.msgid_plural)[0])
                if not set(named) <= allowed or (last and set(named) != set(source_named)):
                    problems.append(f"form {index}: %(name)s placeholders {sorted(named)}")
            elif set(named) != set(source_named):
                problems.append(f"%(name)s placeholders {sorted(named)} != {sorted(source_named)}")
            if python_format and positional != source_positional:
                problems.append(f"positional placeholders {positional} != {source_positional}")
        if brace_format or BRACE.search(source):
            source_names = {m.group("name") for m in BRACE.finditer(source)}
            names = {m.group("name") for m in BRACE.finditer(translation)}
            if not names <= source_names or (
                (not entry.msgid_plural or last) and names != source_names
            ):
                problems.append(f"{{name}} placeholders {sorted(names)} != {sorted(source_names)}")
        if Counter(TAG.findall(translation)) != Counter(TAG.findall(source)):
            problems.append("HTML tags differ from the English message")
    return problems


@pytest.mark.parametrize("language", LANGUAGES)
def test_translations_keep_placeholders_and_markup(language: str) -> None:
    broken = [
        f"{e.msgid!r}: {'; '.join(problems)}"
        for e in _load(language)
        if not e.obsolete and (problems := _problems(e))
    ]
    assert not broken, f"{language}: {len(broken)} translations would break a page:{_show(broken)}"


def test_placeholder_check_catches_broken_translations() -> None:
    """The safety check itself: each of these translations would crash or mislead a page."""
    ok = polib.POEntry(msgid="%(count)d cases", msgstr="%(count)d casos", flags=["python-format"])
    renamed = polib.POEntry(
        msgid="%(count)d cases", msgstr="%(cuenta)d casos", flags=["python-format"]
    )
    positional = polib.POEntry(msgid="Case %s", msgstr="Caso", flags=["python-format"])
    brace = polib.POEntry(
        msgid="Hello {name}", msgstr="Hola {nombre}", flags=["python-brace-format"]
    )
    tags = polib.POEntry(msgid="<strong>Sealed</strong>", msgstr="<b>Sellado</b>")
    plural = polib.POEntry(
        msgid="%(count)d case",
        msgid_plural="%(count)d cases",
        msgstr_plural={0: "un caso", 1: "%(count)d de casos", 2: "casos"},
        flags=["python-format"],
    )
    assert _problems(ok) == []
    assert _problems(renamed)
    assert _problems(positional)
    assert _problems(brace)
    assert _problems(tags)
    assert _problems(plural) == ["form 2: %(name)s placeholders []"]
