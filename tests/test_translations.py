"""German is complete: every message translated, placeholders kept, the catalogue compiles,
and pages come out in German for a German browser."""

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from django.utils import translation

ROOT = Path(__file__).resolve().parents[1]
PO = ROOT / "locale" / "de" / "LC_MESSAGES" / "django.po"
PLACEHOLDER = re.compile(r"%\([a-z_]+\)[sd]|%%")


def entries():
    """(msgid, [msgstr...], flags) from the .po file, parsed with the standard library."""
    text = PO.read_text(encoding="utf-8")
    for block in text.split("\n\n"):
        lines = [line for line in block.splitlines() if line.strip()]
        flags = " ".join(line for line in lines if line.startswith("#,"))
        fields, current = {}, None
        for line in lines:
            if line.startswith("#"):
                continue
            match = re.match(r'^(msgid_plural|msgid|msgstr(?:\[\d\])?) "(.*)"$', line)
            if match:
                current = match.group(1)
                fields[current] = match.group(2)
            elif line.startswith('"') and current:
                fields[current] += line[1:-1]
        if "msgid" in fields and fields["msgid"]:
            strings = [v for k, v in fields.items() if k.startswith("msgstr")]
            yield fields["msgid"], strings, flags


def test_every_message_has_a_german_translation_keeping_its_placeholders():
    problems = []
    for msgid, strings, flags in entries():
        if "fuzzy" in flags:
            problems.append(f"fuzzy: {msgid}")
        for msgstr in strings:
            if not msgstr:
                problems.append(f"untranslated: {msgid}")
            elif sorted(PLACEHOLDER.findall(msgid)) != sorted(PLACEHOLDER.findall(msgstr)):
                problems.append(f"placeholders differ: {msgid!r} → {msgstr!r}")
    assert not problems, "\n".join(problems)
    assert sum(1 for _ in entries()) > 300


def test_the_catalogue_compiles_cleanly():
    msgfmt = shutil.which("msgfmt")
    assert msgfmt, "msgfmt (gettext) is needed to check translations: apt-get install gettext"
    result = subprocess.run(
        [msgfmt, "--check", "-o", "/dev/null", str(PO)], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr


def template_strings() -> set[str]:
    found = set()
    pattern = re.compile(r'{%\s*(?:translate|trans)\s+"([^"]+)"')
    for template in ROOT.glob("**/templates/**/*.html"):
        if ".venv" in template.parts:
            continue
        found.update(pattern.findall(template.read_text(encoding="utf-8")))
    return found


def test_every_template_string_is_in_the_catalogue():
    known = {msgid for msgid, _strings, _flags in entries()}
    missing = sorted(template_strings() - known)
    assert not missing, f"run `make messages` and translate: {missing}"


def test_known_strings_come_out_in_german():
    with translation.override("de"):
        assert translation.gettext("Add to cart") == "In den Warenkorb"
        assert translation.gettext("Shops in town") == "Läden in der Stadt"


@pytest.mark.django_db
def test_a_german_browser_gets_german_pages(client):
    response = client.get("/", headers={"Accept-Language": "de"})
    body = response.content.decode()
    assert 'lang="de"' in body
    assert "Was suchen Sie?" in body and "Läden in der Stadt" in body
