"""Every addon ships a current .pot and complete vi, ru, tr translations."""

import io
from pathlib import Path

import polib
import pytest

from odoo.tools.translate import trans_export

ADDONS = Path(__file__).resolve().parents[1] / "addons"
LANGS = ("vi", "ru", "tr")
ADDON_NAMES = sorted(p.parent.name for p in ADDONS.glob("*/__manifest__.py"))


def _msgids(po):
    return {entry.msgid for entry in po if entry.msgid}


@pytest.mark.parametrize("addon", ADDON_NAMES)
def test_pot_is_current(addon, env):
    buffer = io.BytesIO()
    trans_export(False, [addon], buffer, "po", env)
    exported = _msgids(polib.pofile(buffer.getvalue().decode()))
    shipped = _msgids(polib.pofile(str(ADDONS / addon / "i18n" / f"{addon}.pot")))
    assert exported - shipped == set(), "strings missing from the .pot: re-export it"
    assert shipped - exported == set(), "stale strings in the .pot: re-export it"


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("addon", ADDON_NAMES)
def test_translations_are_complete(addon, lang):
    pot = _msgids(polib.pofile(str(ADDONS / addon / "i18n" / f"{addon}.pot")))
    po = polib.pofile(str(ADDONS / addon / "i18n" / f"{lang}.po"))
    untranslated = {e.msgid for e in po if e.msgid and not e.msgstr}
    assert pot - _msgids(po) == set(), f"{lang}.po lacks strings of the .pot"
    assert untranslated == set(), f"{lang}.po has untranslated strings"
    assert "fuzzy" not in {flag for e in po for flag in e.flags}
