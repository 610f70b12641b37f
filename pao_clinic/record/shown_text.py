"""Text typed by someone, made safe to show in a message or write to a file or log."""

from __future__ import annotations

import re
import unicodedata

#: The control characters text may hold: tab and line breaks.
ALLOWED_CONTROLS = frozenset("\t\n\r")
#: Half of a character cut in two (a lone surrogate, Unicode category Cs), which no database stores.
BROKEN_CHARACTER = re.compile("[\ud800-\udfff]")
#: An invisible control character (category Cc) other than tab and line breaks; with line breaks too.
CONTROL_CHARACTER = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
CONTROL_OR_LINE_BREAK = re.compile("[\x00-\x08\x0a-\x1f\x7f-\x9f]")


def readable(text: str) -> str:
    """`text` safe to show and to write anywhere: broken characters (lone surrogates) and
    invisible control characters other than tab and line breaks are shown as '?'."""
    return "".join("?" if unicodedata.category(ch) == "Cs" or (unicodedata.category(ch) == "Cc"
                                                                  and ch not in ALLOWED_CONTROLS) else ch
                   for ch in text)


def quoted(text: str) -> str:
    """`text` in quotes for a message: at most 60 characters of it, readable (see `readable`), on one line."""
    shown = text if len(text) <= 60 else text[:57] + "..."
    return "'" + readable(shown).replace("\n", " ") + "'"
