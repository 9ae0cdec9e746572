"""Verdict words beyond plain English: one small explicit table, and where each may be read.

Students answer true/false questions in the language they think in.  The table holds the common
words for true / false / correct / wrong / yes / no in Chinese (simplified and traditional),
Japanese, Korean, Spanish, Portuguese, French, German and Italian.  Three kinds:

* ``TRUTH``: "true" / "false" themselves (verdadero, faux, wahr ...), read wherever the English
  "true"/"false" are (an opening verdict, a conclusion, a list of verdicts);
* ``JUDGE``: correct / wrong (richtig, errado ...) and ``ANSWER``: yes / no (sí, non, ja ...),
  read only where they open the answer and punctuation or the line end follows them, like
  English "correct"/"no" ("Richtig ist, dass ..." is no verdict);
* ``CJK``: Chinese, Japanese and Korean words.  These scripts put no spaces between words, so a
  character such as 是 ("is"/"yes") or 对 ("correct"/"towards") is read only where it stands as
  the answer: at the answer's start, followed by punctuation or the line end (``对，因为 ...``,
  ``是\\n``), never inside a run of characters (``这是对的``, ``对于 ...``).  Unsure: not read.

Negation: a word that carries its own negation is an entry of its own (不对, 不正确, 不是 =
false).  Other negations are read as the English "not" is: a prefix that flips the word
(``FOREIGN_NEG``: "no es", "não é", "n'est pas", "pas", "nicht", "non") - "nicht richtig" is
false.  A negation that cannot be read reliably is not read at all (the answer goes to review):
Spanish-English "no" before an English word ("no true"), a negation after the word
("richtig nicht"), and any CJK run not in the table (不错 "not bad", 不完全对 "not entirely
right", 正しくない, 맞지 않다).
"""
from __future__ import annotations

import re

ENGLISH = {"true": "true", "ture": "true", "treu": "true", "trues": "true", "correct": "true", "right": "true",
           "t": "true", "yes": "true", "false": "false", "flase": "false", "fasle": "false", "falsee": "false",
           "fales": "false", "incorrect": "false", "incorrert": "false", "wrong": "false", "f": "false", "no": "false"}

TRUTH = {"true": ("verdadero", "verdadera", "verdadeiro", "verdadeira", "verdade", "cierto", "vrai", "wahr", "vero"),
         "false": ("falso", "falsa", "faux", "fausse", "falsch", "unwahr")}
JUDGE = {"true": ("correcto", "correcta", "correto", "correta", "certo", "corretto", "giusto", "richtig", "korrekt"),
         "false": ("incorrecto", "incorrecta", "incorreto", "incorreta", "errado", "equivocado", "sbagliato", "errato",
                   "scorretto", "inkorrekt")}
ANSWER = {"true": ("sí", "si", "sì", "oui", "ja", "sim"),
          "false": ("non", "nein", "não", "nao")}
CJK = {"true": ("对", "对的", "對", "對的", "正确", "正確", "是", "是的", "真",            # Chinese
                "正しい", "正解", "はい",                                               # Japanese
                "참", "맞음", "맞다", "맞아요", "맞습니다", "예", "네"),                 # Korean
       "false": ("错", "错的", "錯", "錯的", "错误", "錯誤", "否", "不对", "不對", "不正确", "不正確", "不是", "假",
                 "誤り", "間違い", "いいえ",
                 "거짓", "틀림", "틀리다", "틀렸다", "틀립니다", "아니오", "아니요")}

VALUES: dict[str, str] = dict(ENGLISH)
for _table in (TRUTH, JUDGE, ANSWER, CJK):
    for _value, _words in _table.items():
        VALUES.update({w: _value for w in _words})

# yes/no words: an opening "yes"/"no" followed in its own sentence by the opposite verdict
# ("No, it is true") does not say which it means
YESNO = frozenset(("yes", "no", "是", "是的", "否", "不是", "はい", "いいえ", "예", "네", "아니오", "아니요")
                  + ANSWER["true"] + ANSWER["false"])
# words that count as an opening verdict only with punctuation or the line end after them
NEEDS_STOP = frozenset(("yes", "no", "correct", "incorrect", "right", "wrong") + JUDGE["true"] + JUDGE["false"]
                       + ANSWER["true"] + ANSWER["false"] + CJK["true"] + CJK["false"])
FOREIGN = frozenset(VALUES) - frozenset(ENGLISH)


def _alternation(words) -> str:
    return "|".join(re.escape(w) for w in sorted(words, key=lambda w: (-len(w), w)))


# read wherever English "true"/"false" are read (Latin script: \b bounds them)
LATIN = _alternation(TRUTH["true"] + TRUTH["false"] + JUDGE["true"] + JUDGE["false"])
# read only where the answer starts (verdict.py's _START)
OPENING = _alternation(ANSWER["true"] + ANSWER["false"] + CJK["true"] + CJK["false"])
# what may follow an opening word that needs a stop: punctuation (ASCII or CJK) or the line end
STOP = r"[ \t]*(?:[,.!:;\-–—)。，！：；、）]|\n|$)"

# a negation that flips the verdict word after it ("no es cierto", "n'est pas vrai", "nicht richtig")
FOREIGN_NEG = (r"(?:ce\s+n['’]est\s+pas|n['’]est\s+pas|c['’]est\s+pas|pas|no\s+es|no\s+está|não\s+é|nao\s+e|não|nao|"
               r"non\s+è|non\s+e|non|(?:das\s+|es\s+)?ist\s+nicht|nicht|no)")
# a copula before the verdict word ("c'est vrai", "es falso", "das ist richtig", "è vero")
FOREIGN_LEAD = r"(?:c['’]est|das\s+ist|es\s+ist|ist|es|está|é|è)"
# a negation right after a foreign verdict word ("richtig nicht"): not read
NEG_AFTER = re.compile(r"[ \t]+(?:nicht|pas|não|nao|non|no|not)\b", re.I)

# CJK stems of a verdict inside running text, to see an opening word contradicted ("否，这是正确的")
_CJK_TRUE = re.compile(r"(?<![不没非])(?:对(?![于比应象称待照])|對(?![於比應象稱待照])|正确|正確|正しい|"
                       r"맞(?:습|아|다|음|는)|참(?=[이입임다.,!\s]|$))")
_CJK_FALSE = re.compile(r"(?<!不)(?:错|錯)|誤り|間違|틀(?:리|렸|립|림)|거짓|不对|不對|不正确|不正確")
# CJK hedges: not necessarily, depends on, partly, not entirely, it may also be
CJK_HEDGE = re.compile(r"不一定|取决于|取決於|看情况|看情況|部分(?:正确|正確|对|對)|不完全|也可能|場合による|경우에\s*따라")


def value(word: str) -> str | None:
    return VALUES.get(word.lower())


def contradicted_in(text: str, val: str) -> re.Match[str] | None:
    """A CJK verdict stem of the value opposite to ``val`` in ``text`` (the rest of the opening
    word's sentence), or None."""
    return (_CJK_FALSE if val == "true" else _CJK_TRUE).search(text)
