"""Words of needs that matched no service, for the yearly review (社会資源の充足状況).

Only common nouns (普通名詞) are kept: names of people and places (固有名詞), numbers (数詞),
pronouns, verbs and particles are dropped, as is any word with a digit. The text is analysed in
memory and never stored or shown; the report then lists a word only when enough different
inquiries used it (``casework.yearly_report``'s ``min_count``).
"""

from __future__ import annotations

import re
from typing import Any

STOP = frozenset({"相談", "こと", "事", "もの", "物", "ため", "為", "よう", "様", "方", "場合", "今", "気",
                  "感じ", "状態", "状況", "最近", "時間", "毎日", "自分", "本人", "大丈夫", "心配", "問題"})
_DIGIT = re.compile(r"[0-9０-９]")


class NeedWords:
    """Common nouns of a text (SudachiPy, mode C); the dictionary loads on first use."""

    def __init__(self) -> None:
        self._tok: Any = None

    def __call__(self, text: str) -> set[str]:
        if not text:
            return set()
        if self._tok is None:
            import sudachipy  # loaded here, never at import

            self._tok = sudachipy.Dictionary().create(sudachipy.SplitMode.C)
        out: set[str] = set()
        for m in self._tok.tokenize(text[:2000]):
            pos = m.part_of_speech()
            word = m.normalized_form()
            if pos[0] == "名詞" and pos[1] == "普通名詞" and len(word) >= 2 and word not in STOP \
                    and not _DIGIT.search(word):
                out.add(word)
        return out
