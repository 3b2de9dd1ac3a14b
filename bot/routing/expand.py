"""Stage 4: terms and synonym expansion.

``terms(analysis)`` turns tokens into weighted index terms: the mode-C normalized form (1.0), the
mode-A parts of a compound (0.5), and the canonical form ``≡X`` of every curated synonym group the
word or a phrase of the text belongs to (0.8). Documents and inquiries go through the same function,
so ケア in an inquiry meets 介護 in a service through ``≡介護``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from bot.routing.literal import LiteralIndex
from bot.routing.tokenise import CONTENT_POS, Analysis

SYN = "≡"
W_NORM, W_SUB, W_SYN, W_LIGHT = 1.0, 0.5, 0.8, 0.3


@dataclass(frozen=True)
class Expander:
    stop: frozenset[str]
    light: frozenset[str]
    word_groups: Mapping[str, tuple[str, ...]]        # normalized form -> canonical terms
    phrase_groups: Mapping[str, tuple[str, ...]]      # normalised surface phrase -> canonical terms
    # the same phrases as Sudachi normalized forms, by first form: 家にいる meets 家にいます, 家にいて
    lemma_phrases: Mapping[str, tuple[tuple[tuple[str, ...], tuple[str, ...]], ...]] = field(default_factory=dict)
    phrase_index: LiteralIndex = field(init=False, repr=False, compare=False)

    @classmethod
    def build(cls, data: Mapping[str, Any], normalise: Callable[[str], str],
              analyse: Callable[[str], Analysis]) -> "Expander":
        stop = frozenset(str(w) for w in data.get("stop", ()))
        light = frozenset(str(w) for w in data.get("light", ()))
        words: dict[str, list[str]] = {}
        phrases: dict[str, list[str]] = {}
        lemmas: dict[tuple[str, ...], list[str]] = {}
        for group in data.get("groups", ()):
            head = normalise(str(group[0]))
            canon = SYN + head
            for entry in group:
                text = normalise(str(entry))
                toks = [t for t in analyse(text).tokens if t.pos in CONTENT_POS or t.pos == "名詞"]
                if len(toks) == 1 and toks[0].surface == text:
                    words.setdefault(toks[0].norm, []).append(canon)
                    words.setdefault(text, []).append(canon)
                elif text:
                    for form in variants(text):
                        phrases.setdefault(form, []).append(canon)
                    seq = tuple(t.norm for t in analyse(text).tokens if t.pos not in ("補助記号", "空白"))
                    if len(seq) >= 2:
                        lemmas.setdefault(seq, []).append(canon)
        by_first: dict[str, list[tuple[tuple[str, ...], tuple[str, ...]]]] = {}
        for seq, canons in lemmas.items():
            by_first.setdefault(seq[0], []).append((seq, tuple(dict.fromkeys(canons))))
        return cls(stop, light, {k: tuple(dict.fromkeys(v)) for k, v in words.items()},
                   {k: tuple(dict.fromkeys(v)) for k, v in phrases.items()},
                   {k: tuple(v) for k, v in by_first.items()})

    def terms(self, analysis: Analysis, norm_text: str | None = None,
              hits: Iterable[tuple[str, ...]] | None = None) -> dict[str, float]:
        """Weighted bag of index terms for one text (max weight per term)."""
        out: dict[str, float] = {}

        def add(term: str, w: float) -> None:
            if out.get(term, 0.0) < w:
                out[term] = w

        for tok in analysis.tokens:
            if tok.pos not in CONTENT_POS or tok.norm in self.stop or tok.surface in self.stop:
                continue
            if tok.pos in ("接尾辞", "接頭辞") and len(tok.norm) < 2:
                continue
            if tok.norm.isdigit() and len(tok.norm) < 4:
                continue        # 20 (代), 2 (級): numbers are ages or counts, read by the cue stage
            lw = W_LIGHT if (tok.norm in self.light or tok.surface in self.light) else 1.0
            add(tok.norm, W_NORM * lw)
            for c in self.word_groups.get(tok.norm, ()) or self.word_groups.get(tok.surface, ()):
                add(c, W_SYN * (W_LIGHT if c[1:] in self.light else lw))
            for sub in tok.subs:
                if sub not in self.stop and len(sub) > 1:
                    add(sub, W_SUB)
                    for c in self.word_groups.get(sub, ()):
                        add(c, W_SUB)
        if self.lemma_phrases:     # phrases in any conjugation (家にいます, 部屋にこもってる)
            norms = [t.norm for t in analysis.tokens if t.pos not in ("補助記号", "空白")]
            first = self.lemma_phrases
            for i in [i for i, n in enumerate(norms) if n in first]:
                for seq, canons in first[norms[i]]:
                    j = i + len(seq)
                    if tuple(norms[i:j]) == seq and not _NEGATION.intersection(norms[j:j + NEG_SPAN]):
                        for c in canons:     # (家に来てもらわなくていい: the phrase denied is no match)
                            add(c, W_SYN * (W_LIGHT if c[1:] in self.light else 1.0))
        text = analysis.text if norm_text is None else norm_text
        found = hits if hits is not None else (canons for _, _phrase, canons in self.phrase_index.finditer(text))
        for canons in found:
            for c in canons:
                add(c, W_SYN * (W_LIGHT if c[1:] in self.light else 1.0))
        return out

    def is_light(self, term: str) -> bool:
        """True for a light word, its synonym group, or a phrase made of one."""
        t = term[1:] if term.startswith(SYN) else term.strip("~「」")
        return t in self.light or t in self.stop

    def __post_init__(self) -> None:
        object.__setattr__(self, "phrase_index", LiteralIndex(self.phrase_groups.items()))


_PARTICLE = re.compile(r"(?<=[\u4e00-\u9fff\u30a1-\u30fa])[にへをが](?=[\u3041-\u3093\u4e00-\u9fff])")
_NEGATION = frozenset({"ない", "無い", "ず", "ぬ"})
NEG_SPAN = 2      # tokens after a phrase where a negation denies it
_A_TO_I = dict(zip("かさたなまらわがばぱ", "きしちにみりいぎびぴ"))
_POLITE = (("ていない", "ていません"), ("てない", "てません"), ("こない", "きません"), ("ない", "ません"))


def variants(phrase: str) -> list[str]:
    """A phrase as residents also type it: without its case particles (学校に行けない → 学校行けない)
    and with a polite negation (行けない → 行けません). Forms shorter than four characters are left out."""
    forms = [phrase]
    for m in _PARTICLE.finditer(phrase):
        forms += [f[:m.start()] + f[m.end():] for f in forms if f[m.start():m.end()] == m.group(0)
                  and len(f) == len(phrase)]
    for f in list(forms):
        for plain, polite in _POLITE:
            if f.endswith(plain):
                stem = f[:-len(plain)]
                if plain == "ない" and stem and stem[-1] in _A_TO_I:      # 続かない → 続きません (godan)
                    stem = stem[:-1] + _A_TO_I[stem[-1]]
                forms.append(stem + polite)
                break
    return [f for f in dict.fromkeys(forms) if f == phrase or len(f) >= 4]


def merge(bags: Iterable[Mapping[str, float]]) -> dict[str, float]:
    out: dict[str, float] = {}
    for bag in bags:
        for k, v in bag.items():
            out[k] = out.get(k, 0.0) + v
    return out
