"""The word rule, shared with the browser's counter (static/js/wordcount.js).

1. Split on runs of Unicode separators (Zs, Zl, Zp), control characters (Cc),
   em dash and en dash. Hyphens, apostrophes, slashes, dots and zero-width
   spaces never split a word (Moodle's plain-text rule).
2. A piece counts only if it holds a letter or digit (Unicode L* or N*).
3. Inside a piece each Han ideograph, Hiragana or Katakana character is a word,
   and each remaining run holding a letter or digit is one word.

Both implementations spell out the same character ranges instead of relying on
the Unicode tables of Python or the browser, so they agree on every input; the
vectors in courses/wordcount_vectors.json are run against both.
"""

import re

# Zs, Zl, Zp and Cc (these sets have been stable since Unicode 6.0), plus en and em dash.
_SEPARATORS = re.compile(
    "[\u0000-\u001f\u007f-\u009f\u0020\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\u2013\u2014]+"
)

# Han ideographs (with 々 and 〇), Hiragana and Katakana letters: one word per character.
_CJK_RANGES = (
    (0x3005, 0x3005),
    (0x3007, 0x3007),
    (0x3041, 0x3096),
    (0x309D, 0x309F),
    (0x30A1, 0x30FA),
    (0x30FC, 0x30FF),
    (0x31F0, 0x31FF),
    (0x3400, 0x4DBF),
    (0x4E00, 0x9FFF),
    (0xF900, 0xFAFF),
    (0xFF66, 0xFF9F),
    (0x20000, 0x2FA1F),
    (0x30000, 0x323AF),
)


_CJK = re.compile("[" + "".join(f"{chr(low)}-{chr(high)}" for low, high in _CJK_RANGES) + "]")
# A letter or digit: Python's \w is str.isalnum() (Unicode L* and N*) plus "_", which is neither.
_LETTER_OR_DIGIT = re.compile(r"[^\W_]")


def count_words(text: str) -> int:
    """Number of words in `text` under the rule above.

    Within a piece, every CJK character is a word, and so is every run between them that
    holds a letter or digit. Regular expressions do the scanning, so an autosave of a long
    answer costs microseconds, not a Python loop per character.
    """
    count = 0
    for piece in _SEPARATORS.split(text):
        if not piece:
            continue
        runs = _CJK.split(piece)
        count += len(runs) - 1
        count += sum(1 for run in runs if run and _LETTER_OR_DIGIT.search(run))
    return count
