# SPDX-License-Identifier: GPL-3.0-or-later
"""The one folding of text for search: what is stored as a search key and what a query is matched by.

People write one Persian name many ways: Arabic keyboards give ي and ك for ی and ک, ة and ۀ stand for ه,
alef comes with or without its hamza or madda, harakat and tatweel appear or not, the parts of a name are
joined by a space, a zero-width non-joiner or nothing, and digits come in three scripts. `fold` makes all of
those one string:

- Unicode compatibility forms become their letters (NFKC's work: Arabic presentation forms, ligatures,
  full-width Latin and digits, no-break spaces);
- every combining mark goes (harakat, superscript alef, Quranic marks, Latin accents), and with it the
  hamza and madda on alef, waw and yeh: آ أ إ ٱ fold to ا, ؤ to و, ئ to ی. Alef with madda is a different
  letter in careful Persian (آرش, not ارش), but people type it either way and a search that finds both
  costs nothing; the standalone hamza ء goes for the same reason (علاء finds علا);
- Arabic letter forms become the Persian ones: ي ى ئ → ی, ك ڪ → ک, ة ە ۀ ھ ہ → ه;
- Persian and Arabic-Indic digits become ASCII digits;
- format characters (ZWNJ, ZWJ, direction marks, BOM), control characters and tatweel go;
- case goes (casefold), and runs of white space become one space, none at either end.

`search_key` is what a name is stored as: the fold without any space, so that a name whose parts were
written apart, joined by a ZWNJ or run together (عبدالله, عبد الله, عبد‌الله) has one key; a query is
matched word by word (`query_words`), each word anywhere in the key.

Stored keys are made by this module: a change to the folding changes what every stored key should be, and
ships with a migration that makes them again (as revision 0007 of the server's schema first made them).
"""

from __future__ import annotations

import unicodedata

_PERSIAN_DIGITS = "۰۱۲۳۴۵۶۷۸۹"
_ARABIC_DIGITS = "٠١٢٣٤٥٦٧٨٩"
_LETTERS = {
    "ي": "ی",  # U+064A Arabic yeh
    "ى": "ی",  # U+0649 alef maksura
    "ك": "ک",  # U+0643 Arabic kaf
    "ڪ": "ک",  # U+06AA swash kaf
    "ة": "ه",  # U+0629 teh marbuta
    "ە": "ه",  # U+06D5 ae: what ۀ (heh with yeh above) is without its mark
    "ھ": "ه",  # U+06BE heh doachashmee
    "ہ": "ه",  # U+06C1 heh goal
    "ٱ": "ا",  # U+0671 alef wasla (no decomposition to strip)
    "ٲ": "ا",  # U+0672 alef with wavy hamza above
    "ٳ": "ا",  # U+0673 alef with wavy hamza below
}
_DROPPED = "\u0640\u0621"  # tatweel; the standalone hamza
_TABLE = str.maketrans(
    {
        **{d: str(n) for n, d in enumerate(_PERSIAN_DIGITS)},
        **{d: str(n) for n, d in enumerate(_ARABIC_DIGITS)},
        **_LETTERS,
        **dict.fromkeys(_DROPPED),
    }
)
# what may sit between the digits of a phone or card number as people type them
_NUMBER_SEPARATORS = frozenset(" -+().")
_ASCII_DIGITS = frozenset("0123456789")


def fold(text: str) -> str:
    """The search form of `text` (see the module's docstring); `fold(fold(t)) == fold(t)`."""
    if text.isascii() and text.isprintable():  # most phones, card numbers and Latin names: case, spaces
        return " ".join(text.lower().split())
    # NFKD then NFC at the end is NFKC with the marks taken out in between; casefold can make new marks
    # (İ → i + dot above), so it comes before the marks are dropped
    decomposed = unicodedata.normalize("NFKD", unicodedata.normalize("NFKD", text).casefold())
    kept = "".join(ch for ch in decomposed if not _dropped(ch))
    return unicodedata.normalize("NFC", " ".join(kept.translate(_TABLE).split()))


def _dropped(ch: str) -> bool:
    """Marks, format characters (ZWNJ, direction marks) and control characters other than white space."""
    category = unicodedata.category(ch)
    return category in ("Mn", "Me", "Cf") or (category == "Cc" and not ch.isspace())


def search_key(text: str) -> str:
    """What a name is stored as for search: its fold with no spaces (parts written apart or together)."""
    return fold(text).replace(" ", "")


def query_words(text: str) -> list[str]:
    """The words of a query, folded: each must be found somewhere in a name's `search_key`."""
    return fold(text).split()


def reversed_digits(phone: str) -> str:
    """A phone's digits backwards ("+989123456789" → "987654321989"): stored so that the last digits
    typed are a prefix, which an ordinary index finds."""
    return "".join(ch for ch in fold(phone) if ch in _ASCII_DIGITS)[::-1]


def digits_only(text: str) -> str | None:
    """The digits of a phone or card number as typed (any script, with spaces, dashes, +, brackets and
    dots between them), or None when the text holds anything else or no digit at all."""
    folded = fold(text)
    if any(ch not in _NUMBER_SEPARATORS and ch not in _ASCII_DIGITS for ch in folded):
        return None
    digits = "".join(ch for ch in folded if ch in _ASCII_DIGITS)
    return digits or None
