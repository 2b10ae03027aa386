"""Fill locale/en with msgstr = msgid (English is the source language) and drop fuzzy flags
there; report Russian entries that still need a translator. Run after makemessages."""

import sys
from pathlib import Path

import polib

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    en = polib.pofile(str(ROOT / "locale/en/LC_MESSAGES/django.po"))
    for entry in en:
        if entry.obsolete:
            continue
        if entry.msgid_plural:
            entry.msgstr_plural = {0: entry.msgid, 1: entry.msgid_plural}
        else:
            entry.msgstr = entry.msgid
        if "fuzzy" in entry.flags:
            entry.flags.remove("fuzzy")
    en.save()
    ru = polib.pofile(str(ROOT / "locale/ru/LC_MESSAGES/django.po"))
    missing = [e.msgid for e in ru if not e.obsolete and (not e.translated() or "fuzzy" in e.flags)]
    for msgid in missing:
        print(f"ru: needs a translation: {msgid!r}")
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
