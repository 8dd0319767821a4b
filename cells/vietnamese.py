"""Vietnamese text helpers: NFC normalisation and the collation used for every name list.

Vietnamese alphabetical order is a ă â b c d đ e ê g h i k l m n o ô ơ p q r s t u ư v x y,
with tones compared only after the letters (ngang, huyền, hỏi, ngã, sắc, nặng). Person names
sort by given name (last word), then middle names, then family name (DOMAIN.md §3).
"""

import unicodedata

_ALPHABET = "aăâbcdđeêfghijklmnoôơpqrstuưvwxyz"
# Letter modifiers that make a distinct letter; everything else combining is a tone.
_LETTER_MARKS = {"\u0306": "ă", "\u0302": "^", "\u031b": "+"}
_TONE_RANK = {"\u0300": 1, "\u0309": 2, "\u0303": 3, "\u0301": 4, "\u0323": 5}
_WITH_MARK = {
    ("a", "\u0306"): "ă",
    ("a", "\u0302"): "â",
    ("e", "\u0302"): "ê",
    ("o", "\u0302"): "ô",
    ("o", "\u031b"): "ơ",
    ("u", "\u031b"): "ư",
}
# Two characters per letter keep every key plain ASCII and order-preserving.
_LETTER_CODE = {ch: f"{i + 10:02d}" for i, ch in enumerate(_ALPHABET)}


def nfc(text: str) -> str:
    """Text as stored: Unicode NFC with surrounding spaces trimmed and inner runs collapsed."""
    return " ".join(unicodedata.normalize("NFC", text).split())


def _word_key(word: str) -> tuple[str, str]:
    letters, tones = [], []
    for ch in unicodedata.normalize("NFD", word.casefold()):
        if unicodedata.combining(ch):
            if ch in _TONE_RANK:
                tones.append(str(_TONE_RANK[ch]))
            elif letters and (letters[-1], ch) in _WITH_MARK:
                letters[-1] = _WITH_MARK[(letters[-1], ch)]
            continue
        letters.append(ch)
    letter_key = "".join(_LETTER_CODE.get(ch, "99" if ch.isalnum() else "00") for ch in letters)
    return letter_key, "".join(tones) or "0"


def collation_key(text: str, *, person_name: bool = True) -> str:
    """An ASCII string whose byte order is Vietnamese alphabetical order.

    With `person_name`, the words are reordered given name first, then middle, then family.
    Letters of every word are compared before any tone, as dictionaries do.
    """
    words = nfc(text).split(" ") if text else []
    if person_name and len(words) > 1:
        words = [words[-1], *words[1:-1], words[0]]
    keys = [_word_key(w) for w in words]
    # "." sorts before every digit, so a shorter word comes before its extensions.
    letters = ".".join(k[0] for k in keys)
    tones = "".join(k[1] for k in keys)
    return f"{letters}|{tones}"
