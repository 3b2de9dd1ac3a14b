"""Stage 2: the crisis screen. Always first; cheap; says yes when unsure.

Signs are found five ways, all from data/crisis.yaml: lexicon terms on the normalised text and,
through their hiragana reading, on the reading of the inquiry (しにたい == 死にたい; a reading match
must be written with the term's own kanji); verbs by lemma in any conjugation; word sequences on
Sudachi normalized forms; regular-expression patterns over the reading (or the text) for concepts in
any script and ending. An occurrence is discarded when it is negated or framed as learning,
prevention, fiction, bereavement, jest or a past that is over ("死にたいとは思わない", "虐待防止の講座",
"ドラマで虐待"). Weak signs (限界, 眠れない, …) count only in pairs that speak of the same danger.
Each kind maps to the catalogue's crisis lines by their ``kinds``, verified lines first.
"""

from __future__ import annotations

import bisect
import functools
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from bot.routing.literal import LiteralIndex, alternation, prefixes
from bot.routing.normalise import to_hiragana
from bot.routing.result import CrisisHit
from bot.routing.tokenise import Analysis, Token

_SENTENCE_END = re.compile(r"[。！？!?\n]")
_SKIP_AFTER = " 、,・…."     # NFKC writes … as ...
_DENIAL_WINDOW = 32        # characters before an English phrase read for its denial (one adverb fits)
_CLAUSE_END = re.compile(r"[、。！？!?,\n]")
_SQUEEZE = re.compile(r"[ ぁぃぅぇぉ]|(?<=[\u3041-\u309f])ー")
_SMALL = str.maketrans("ぁぃぅぇぉ", "あいうえお")


def _squeeze(text: str) -> tuple[str, list[int]]:
    """Drops spaces and hiragana long-vowel marks, and enlarges small vowels (しにたぃ → しにたい);
    with, for each character kept, its offset in ``text`` (so that word starts carry over)."""
    out: list[str] = []
    where: list[int] = []
    for i, ch in enumerate(text):
        if ch == " " or (ch == "ー" and i and "\u3041" <= text[i - 1] <= "\u309f"):
            continue
        out.append(ch)
        where.append(i)
    return "".join(out).translate(_SMALL), where


def _written_in_kana(text: str, start: int, end: int) -> bool:
    """The sign at ``text[start:end]`` is typed without kanji: the words around it are read in kana
    too (しにたいとまでは おもわない in a message that has 仕事 in it)."""
    return _KANJI.search(text, start, end) is None


@functools.lru_cache(maxsize=16)
def _unspaced(text: str) -> tuple[str, tuple[int, ...]]:
    """``text`` without its spaces, and for each offset in ``text`` (and its end) the number of spaces
    before it: offset i in ``text`` is ``i - shift[i]`` in the result."""
    shift, n = [], 0
    for ch in text:
        shift.append(n)
        n += ch == " "
    shift.append(n)
    return text.replace(" ", ""), tuple(shift)


_PASSIVE = re.compile(r"(られ|かれ|され|けられ|ばれ|まれ|たれ)")
_KATAKANA = re.compile(r"^[\u30a0-\u30ffー]+$")
_KANA_ONLY = re.compile(r"^[\u3041-\u309f\u30a0-\u30ffー]+$")
_ASCII_WORD = re.compile(r"^[a-z0-9]+$")
_KANJI = re.compile(r"[\u3400-\u9fff々]")
_KANJI_WORD = re.compile(r"[\u3400-\u9fff々]+")
_NOT_CALMED = frozenset({"emergency", "medical_adult", "medical_child"})   # "calm now" does not end these
_MIN_KANA_FORM = 5     # shorter readings of suppressor words are too ambiguous (法 = ほう, 亡くなっ = なくなっ)


class Forms:
    """Words of one suppressor list: their normalised forms, and their kana readings.

    A reading is used only on a kana stream (the reading of the inquiry, or an inquiry typed without
    kanji) and only when it is long enough not to be an ordinary kana sequence: 亡くなっ read なくなっ
    must not cancel 分からなくなった, nor 法 (ほう) cancel しんだほうがいい.
    """

    __slots__ = ("text", "both", "prefixes", "_re_text", "_re_both", "_ix_text", "_ix_both")

    def __init__(self, text: Iterable[str], kana: Iterable[str]) -> None:
        kana = set(kana)
        self.text = tuple(sorted(set(text)))
        self.both = tuple(sorted(set(self.text) | {k for k in kana if len(k) >= _MIN_KANA_FORM}))
        # right after a term (a fixed position) a 3-character reading is safe enough: ぼうし (防止)
        self.prefixes = tuple(sorted(set(self.text) | {k for k in kana if len(k) >= 3}))
        # one alternation of the literal words: "some word is in the segment", found in one C pass
        self._re_text = alternation(self.text)
        self._re_both = alternation(self.both)
        # every occurrence of every word, for ``frames`` (a regular expression finds one per place)
        self._ix_text = LiteralIndex((w, w) for w in self.text)
        self._ix_both = LiteralIndex((w, w) for w in self.both)

    def within(self, segment: str, kana: bool) -> bool:
        rx = self._re_both if kana else self._re_text
        return rx is not None and rx.search(segment) is not None

    def first(self, segment: str, kana: bool) -> int:
        """Where the first of these words starts in ``segment``, or -1."""
        rx = self._re_both if kana else self._re_text
        m = rx.search(segment) if rx is not None else None     # leftmost match = earliest start
        return m.start() if m else -1

    def frames(self, segment: str, kana: bool) -> bool:
        """Like ``within``, but a short word (two characters) that starts with a kanji must start a
        word there too (本で is not in 日本で, 曲で not in 作曲で; 防止の after 虐待 still frames)."""
        return any(not (len(w) <= 2 and i > 0 and _KANJI.match(w) and _KANJI.match(segment[i - 1]))
                   for i, w, _w in (self._ix_both if kana else self._ix_text).unordered(segment))

    def finditer(self, segment: str, kana: bool, pos: int = 0) -> Iterator[re.Match[str]]:
        """Every place one of these words starts in ``segment`` from ``pos``, leftmost first."""
        rx = self._re_both if kana else self._re_text
        return rx.finditer(segment, pos) if rx is not None else iter(())

    def starts(self, segment: str, kana: bool) -> bool:
        return segment.startswith(self.prefixes if kana else self.text)


_ATTEMPT = re.compile(r"[おこそとのほもよろごぞどぼぽ]うと|ようと")      # 吊ろうと, 死のうと, 飛び降りようと
_CLAUSE_LINK = frozenset({"けれど", "ので", "のに"})                   # …ありますが / けど: a clause ends
_CLAUSE_LINK_AFTER_VERB = frozenset({"が", "から", "し"})


@dataclass(frozen=True, slots=True)
class Pattern:
    term: "Term"
    regex: re.Pattern[str]
    kanji: frozenset[str]      # kanji the words may be written with (死 for しにたい); others: another word
    on_text: bool = False      # matched on the normalised text instead (digits, kanji counters: 50錠)


@dataclass(frozen=True, slots=True)
class Term:
    text: str                # normalised surface form
    reading: str             # hiragana reading ("" when not usable)
    kind: str
    weak: bool
    by_context: bool
    kana_only: bool
    ascii_word: bool
    companion: bool = False  # only adds to another weak sign (a young writer: 高校生です)


@dataclass(frozen=True, slots=True)
class Occurrence:
    term: Term
    kind: str
    span: tuple[int, int, int] = (-1, 0, 0)   # (stream: 0 text, 1 reading; start; end)


@dataclass(frozen=True, slots=True)
class LineRef:
    id: str
    kinds: tuple[str, ...]
    verified: bool
    priority: int


def _distinct(occ: Sequence[Occurrence]) -> int:
    """How many signs these are: terms that overlap on the same stream are one sign
    (誰かに話を聞いて and 話を聞いてほしい are one request)."""
    taken: list[tuple[int, int, int]] = []
    texts: list[str] = []
    for o in sorted(occ, key=lambda o: (o.span[0], o.span[1])):
        stream, a, b = o.span
        if stream >= 0 and any(s == stream and a < e and st < b for s, st, e in taken):
            continue
        t = to_hiragana(o.term.text)   # found on two streams: the same words share three characters
        if any(t[k:k + 3] in u for u in texts for k in range(len(t) - 2)) or t in texts:
            continue
        taken.append(o.span)
        texts.append(t)
    return len(texts)


_WordSpans = tuple[list[tuple[int, int]], list[tuple[int, int]], list[tuple[int, int, str]]]


def _word_spans(analysis: Analysis | None) -> _WordSpans:
    """Where in the reading the words written in katakana sit (インク must not end 消えたい), those in
    latin letters (DVD holds no DV), and each word written with kanji, with its kanji."""
    kata: list[tuple[int, int]] = []
    latin: list[tuple[int, int]] = []
    written: list[tuple[int, int, str]] = []
    pos = 0
    for tok in analysis.tokens if analysis is not None else ():
        if _KATAKANA.match(tok.surface):
            kata.append((pos, pos + len(tok.reading)))
        elif tok.surface.isascii() and tok.surface.isalnum():
            latin.append((pos, pos + len(tok.reading)))
        if _KANJI.search(tok.surface):
            written.append((pos, pos + len(tok.reading), "".join(_KANJI.findall(tok.surface))))
        pos += len(tok.reading)
    return kata, latin, written


def _goes_to(tokens: Sequence[Token], k: int, kept_after: frozenset[str],
             someones_side: frozenset[str]) -> bool:
    """Token ``k`` (read いき…) is 行く going somewhere, not 逝く, as when written with 行: after て/で
    (the auxiliary ていく: がんばって いきたい); after a noun, with or without に/へ (こうえんに いきたい,
    かいもの いきたい); after a verb with に (ききに いきたい). Spaces between words are skipped. Not
    after a word of ``kept_after`` (さきに, しにに), someone's side (ははの ところに: joining the dead), a
    pronoun (そっちに), an adverb (もう), or the に of a manner, which Sudachi reads as a copula (らくに)."""
    def before(j: int) -> int:
        j -= 1
        while j >= 0 and tokens[j].pos == "空白":
            j -= 1
        return j

    p = before(k)
    if p < 0 or tokens[k].pos != "動詞":     # いき the noun is 息 (そぼ いき してない): no verb to go
        return False
    if tokens[p].pos == "助詞":
        if tokens[p].surface in ("て", "で"):
            return p > 0
        if tokens[p].surface not in ("に", "へ"):
            return False
        p = before(p)
        if p < 0 or tokens[p].pos not in ("名詞", "動詞"):
            return False
    elif tokens[p].pos != "名詞":
        return False
    word = tokens[p]
    if word.norm in kept_after or word.surface in kept_after:
        return False
    if word.norm in someones_side:
        q = before(p)
        return not (q >= 0 and tokens[q].surface == "の")
    return True


def _reading_offsets(analysis: Analysis) -> list[int]:
    """Where each token's reading starts in ``analysis.reading`` (the tokens' readings, end to end)."""
    offsets, pos = [], 0
    for tok in analysis.tokens:
        offsets.append(pos)
        pos += len(tok.reading)
    return offsets


def _token_at(analysis: Analysis, span: tuple[int, int, int]) -> int | None:
    """The token a sign starts in, by its span on the text (0) or on the reading (1); None for the
    squeezed copy, past the end of the stream."""
    stream, a, _b = span
    toks = analysis.tokens
    starts = [tok.start for tok in toks] if stream == 0 else _reading_offsets(analysis)
    k = bisect.bisect_right(starts, a) - 1
    if k < 0:
        return None
    return k if a < starts[k] + len(toks[k].surface if stream == 0 else toks[k].reading) else None


class CrisisScreen:
    """Built once from data/crisis.yaml and the catalogue's crisis lines; ``screen()`` is pure."""

    def __init__(self, data: Mapping[str, Any], normalise: Callable[[str], str],
                 read: Callable[[str], str], lines: Sequence[LineRef]) -> None:
        weak = {normalise(w) for w in data.get("weak", ())}
        by_ctx = {normalise(w) for w in data.get("resolve_by_context", ())}
        self.priority: tuple[str, ...] = tuple(data["priority"])
        terms: list[Term] = []
        seen: set[str] = set()
        for kind, words in data["kinds"].items():
            for w in words:
                t = normalise(str(w))
                if not t or t in seen:
                    continue
                seen.add(t)
                reading = to_hiragana(read(t))
                kana_only = bool(_KANA_ONLY.match(t))
                terms.append(Term(t, reading if len(reading) >= 3 and reading != t else "",
                                  kind, t in weak, t in by_ctx, kana_only, bool(_ASCII_WORD.match(t))))
        self.terms = tuple(sorted(terms, key=lambda x: -len(x.text)))
        iku = data.get("kana_iku", {})
        self._iku_kanji = str(iku.get("kanji", ""))     # "" : the rule is off
        self._iku_kept_after = frozenset(str(w) for w in iku.get("kept_after", ()))
        self._iku_someones_side = frozenset(str(w) for w in iku.get("someones_side", ()))
        self.sequences = tuple(
            (Term(str(q["name"]), "", q["kind"], bool(q.get("weak")), bool(q.get("by_context")), False, False),
             tuple(frozenset(map(str, step)) for step in q["steps"]), int(q.get("gap", 2)),
             frozenset(map(str, q.get("not_after", ()))))
            for q in data.get("sequences", ()))
        self._seq_first: dict[str, list[int]] = {}
        for k, (_t, steps, _g, _n) in enumerate(self.sequences):
            for w in steps[0]:
                self._seq_first.setdefault(w, []).append(k)
        self.lemmas = {str(k): Term(str(k), "", v["kind"], bool(v.get("weak")), True, False, False)
                       for k, v in (data.get("lemmas") or {}).items()}
        self._text_index = LiteralIndex((t.text, t) for t in self.terms)
        self._reading_index = LiteralIndex((t.reading, t) for t in self.terms if t.reading)
        self.context = {k: self._both(v, normalise, read) for k, v in (data.get("context") or {}).items()}
        self.family = {k: frozenset(fam) for fam in data.get("families", ()) for k in fam}
        self.context_passive = {k: self._both(v, normalise, read)
                                for k, v in (data.get("context_passive") or {}).items()}
        forms = self._forms
        self._medical_resolved = forms(data.get("medical_resolved", ()), normalise, read)
        self._looks_so = tuple(normalise(w) for w in data.get("medical_looks_so", ()))
        self._suffix = forms(data.get("suffix_suppress", ()), normalise, read)
        self._prefix = forms(data.get("prefix_suppress", ()), normalise, read)
        self._present = forms(data.get("present_markers", ()), normalise, read)
        self._near = forms(data.get("negation_near", ()), normalise, read)
        self._suspect = forms(data.get("suspicion_markers", ()), normalise, read)
        self._truth = forms(data.get("truth_after", ()), normalise, read)
        self._false_alarm = forms(data.get("false_alarm", ()), normalise, read)
        self._false_alarm_next = forms(data.get("false_alarm_next", ()), normalise, read)
        self._past = forms(data.get("past_suffix", ()), normalise, read)
        self._resolved = forms(data.get("resolved_markers", ()), normalise, read)
        self._now = forms(data.get("now_markers", ()), normalise, read)
        self._calm = forms(data.get("calm_now", ()), normalise, read)
        self._recent = forms(data.get("recent_markers", ()), normalise, read)
        self._settled = forms(data.get("settled", ()), normalise, read)
        self._settled_not = tuple(normalise(w) for w in data.get("settled_not", ()))
        self._window = int(data.get("prefix_window", 20))
        self._past_markers = forms(data.get("past_markers", ()), normalise, read)
        self._since_then = forms(data.get("since", ()), normalise, read)
        self._short = int(data.get("short_message", 0))
        self._short_kana = int(data.get("short_message_kana", self._short))
        self._urgent = forms(data.get("urgent", ()), normalise, read)
        self._urgent_not = tuple(normalise(w) for w in data.get("urgent_not", ()))
        # a euphemism cancelled by a benign cause before it in its clause (仕事を終わりにしたい)
        self._guarded = {normalise(str(k)): forms(v, normalise, read) for k, v in (data.get("guarded") or {}).items()}
        self._signal_groups = tuple(frozenset(g) for g in data.get("signal_groups", ()))
        self._clause_frames = forms(data.get("clause_frames", ()), normalise, read)
        # an English phrase denied just before it (i'm not suicidal): one rule for every English phrase
        denial = data.get("english_denial")
        self._english_denial = re.compile(str(denial)) if denial else None
        self._kind_frames = {str(k): forms(v, normalise, read) for k, v in (data.get("kind_frames") or {}).items()}
        self._kind_suffix = {str(k): forms(v, normalise, read) for k, v in (data.get("kind_suffix") or {}).items()}
        dated = data.get("medical_dated") or {}
        self._dated_kinds = frozenset(str(k) for k in dated.get("kinds", ()))
        self._dated = forms(dated.get("markers", ()), normalise, read)
        self._dated_now = frozenset(str(w) for w in dated.get("now", ()))     # words: いま is in しまいました
        heard = data.get("heard_of") or {}
        self._heard_kinds = frozenset(str(k) for k in heard.get("kinds", ()))
        self._heard_said = forms(heard.get("said", ()), normalise, read)
        self._heard_if = forms(heard.get("if", ()), normalise, read)
        strain = data.get("strain_cause") or {}
        self._strain_kind = str(strain.get("kind", ""))
        self._strain_cause = self._kind_frames.get(self._strain_kind) if strain.get("anywhere") else None
        laugh = data.get("laugh_after") or {}
        self._laugh_kinds = frozenset(str(k) for k in laugh.get("kinds", ()))
        self._laugh = forms(laugh.get("marks", ()), normalise, read)
        self._laugh_ending = re.compile(rf"[\u3041-\u3096ー]{{0,{int(laugh.get('ending', 0))}}}")
        # regular expressions over the hiragana reading (any script, any conjugation): しに(たい|たか|てえ)…
        self.patterns = tuple(
            Pattern(Term(str(q["name"]), "", q["kind"], bool(q.get("weak") or q.get("companion")),
                         bool(q.get("by_context")), False, False, bool(q.get("companion"))),
                    re.compile(str(q["re"])), frozenset(str(q.get("kanji", ""))), q.get("stream") == "text")
            for q in data.get("patterns", ()))
        # exact prefilter: a pattern is tried only on a stream that holds one of the strings its
        # matches start with (read from the pattern: しに for しに(?:たい|て…)), found for every
        # pattern in one pass; a pattern whose matches may start anywhere is always tried
        self._gate_reading = self._gate(False)
        self._gate_text = self._gate(True)
        self.lines = tuple(lines)

    def _gate(self, on_text: bool) -> tuple[LiteralIndex[int], frozenset[int]]:
        """(index of the strings the stream's patterns start with -> pattern number, patterns always tried)."""
        starts: list[tuple[str, int]] = []
        always: set[int] = set()
        for n, p in enumerate(self.patterns):
            if p.on_text != on_text:
                continue
            found = prefixes(p.regex)
            if found is None:
                always.add(n)
            else:
                starts.extend((s, n) for s in found)
        return LiteralIndex(starts), frozenset(always)

    @staticmethod
    def _may_match(gate: tuple[LiteralIndex[int], frozenset[int]], stream: str) -> frozenset[int]:
        index, always = gate
        return always.union(n for _i, _s, n in index.unordered(stream))

    @staticmethod
    def _forms(words: Iterable[str], normalise: Callable[[str], str], read: Callable[[str], str]) -> Forms:
        text, kana = [], []
        for w in words:
            t = normalise(str(w))
            if t:
                text.append(t)
                kana.append(to_hiragana(read(t)))
        return Forms(text, (k for k in kana if k and k not in text))

    @staticmethod
    def _both(words: Iterable[str], normalise: Callable[[str], str], read: Callable[[str], str]) -> tuple[str, ...]:
        out: set[str] = set()
        for w in words:
            t = normalise(str(w))
            out.add(t)
            out.add(to_hiragana(read(t)))
        return tuple(sorted(x for x in out if x))

    # --- matching --------------------------------------------------------------------------
    def _suppressed(self, stream: str, start: int, end: int, kana: bool = False, term: str = "",
                    kind: str = "") -> bool:
        """Negated, hypothetical, learning, fiction, hyperbole, a past that is over or a false alarm.

        ``kana``: the stream is kana (the reading, or an inquiry typed without kanji), so the kana
        readings of the suppressor words apply too. Spaces are read out of the stream first: the
        suppressor words are written without them (しにたいとまでは おもわない is とまでは思わない).
        """
        if " " in stream:
            stream, shift = _unspaced(stream)
            start, end = start - shift[start], end - shift[end]
        rest = stream[end:end + 16].lstrip(_SKIP_AFTER)
        if self._suffix.starts(rest, kana):
            return True
        kind_suffix = self._kind_suffix.get(kind)     # 倒れたらと思うと: a fall imagined, not one told
        if kind_suffix is not None and kind_suffix.starts(rest, kana):
            return True
        if kind in self._laugh_kinds and self._laughed(rest, kana):
            return True
        clause = _CLAUSE_END.split(stream[end:end + 40], maxsplit=1)[0]
        if self._near.within(clause, kana) and not self._suspect.within(clause, kana) \
                and not self._owned_later(stream, end, kana):
            return True
        if kind in self._heard_kinds and self._heard_of(clause, kana):
            return True
        if self._past.starts(rest, kana) and self._resolved.within(stream[end:], kana):
            return True
        # a false alarm told in the same sentence, or a story's end in the next one ("…と思ったら、
        # ただ寝てただけだった"); never further: a later sentence may be about something else
        m1 = _SENTENCE_END.search(stream, end)
        m2 = _SENTENCE_END.search(stream, m1.end()) if m1 else None
        if self._false_alarm.within(stream[end:m1.start() if m1 else len(stream)], kana) \
                and not self._owned_later(stream, end, kana):
            return True
        if self._false_alarm_next.within(stream[end:m2.start() if m2 else len(stream)], kana):
            return True
        sent_start = 0
        for m in _SENTENCE_END.finditer(stream, 0, start):
            sent_start = m.end()
        before = stream[max(sent_start, start - self._window):start]
        guard = self._guarded.get(term)
        clause_start = max((m.end() for m in _CLAUSE_END.finditer(stream, 0, start)), default=0)
        if guard is not None and guard.within(stream[clause_start:start], kana):
            return True
        if self._clause_frames.frames(stream[clause_start:start], kana):     # ぽっくり死にたい (in jest)
            sent_end_m = _SENTENCE_END.search(stream, end)
            sentence = stream[sent_start:sent_end_m.start() if sent_end_m else len(stream)]
            if not self._present.within(sentence, kana):
                return True
        frames = self._kind_frames.get(kind)
        if self._prefix.frames(before, kana) or (frames is not None and frames.frames(before, kana)):
            sent_end_m = _SENTENCE_END.search(stream, end)
            sentence = stream[sent_start:sent_end_m.start() if sent_end_m else len(stream)]
            return not self._present.within(sentence, kana)
        return False

    def _owned_later(self, stream: str, end: int, kana: bool) -> bool:
        """A cover, then the truth: a later clause of the sentence owns up to what the first played
        down (冗談っぽく言ってるけど、実は本気で考えてる), and does not play it down again itself."""
        m = _SENTENCE_END.search(stream, end)
        rest = stream[end:m.start() if m else len(stream)]
        first = _CLAUSE_END.search(rest)
        if first is None:
            return False
        later = rest[first.end():]
        at = self._truth.first(later, kana)
        if at < 0:
            return False
        owned = _CLAUSE_END.split(later[at:], maxsplit=1)[0]
        return not (self._near.within(owned, kana) or self._false_alarm.within(owned, kana))

    def _heard_of(self, clause: str, kana: bool) -> bool:
        """The sign's clause ends as something heard, after an if (刺されたら死ぬって聞く)."""
        said = self._heard_said.first(clause, kana)
        return said > 0 and self._heard_if.within(clause[:said], kana)

    def _laughed(self, rest: str, kana: bool) -> bool:
        """A laugh mark right after the word, its ending (るw: the term 殺され is a stem) allowed."""
        ending = self._laugh_ending.match(rest)
        return any(self._laugh.starts(rest[i:], kana) for i in range(len(ending.group()) + 1 if ending else 1))

    def _kind(self, term: Term, stream: str, start: int, end: int | None = None) -> str:
        if not term.by_context:
            return term.kind
        after = stream[start:(end or start) + 3]
        passive = bool(_PASSIVE.search(after))
        sent_start = 0
        for m in _SENTENCE_END.finditer(stream, 0, start):
            sent_start = m.end()
        m_end = _SENTENCE_END.search(stream, start)
        sentence_before = stream[sent_start:start]
        sentence_after = stream[start:m_end.start() if m_end else len(stream)]
        best, best_dist = term.kind, None
        family = self.family.get(term.kind, frozenset({term.kind}))
        contexts = list(self.context.items())
        if passive:
            contexts = list(self.context_passive.items()) + contexts
        for kind, cues in contexts:
            if kind not in family:
                continue
            for cue in cues:
                i = sentence_before.rfind(cue)
                if i >= 0:
                    dist = len(sentence_before) - i
                elif (j := sentence_after.find(cue)) >= 0:
                    dist = 100 + j          # a cue after the term counts less than one before it
                else:
                    continue
                if best_dist is None or dist < best_dist:
                    best, best_dist = kind, dist
        return best

    def find(self, norm: str, analysis: Analysis | None, seen: list[str] | None = None) -> list[Occurrence]:
        """Every un-suppressed lexicon occurrence, on the text and on its reading. ``seen`` collects the
        terms found and then suppressed (死ぬほど眠い, ドラマで虐待のシーン): the lexicon read them."""
        found: list[Occurrence] = []

        def suppressed(stream: str, i: int, end: int, kana: bool, text: str, kind: str) -> bool:
            if self._suppressed(stream, i, end, kana, text, kind):
                if seen is not None:
                    seen.append(text)
                return True
            return False
        kana_msg = not _KANJI.search(norm)      # typed without kanji: kana readings of suppressors apply
        token_starts = {t.start for t in analysis.tokens} if analysis else None
        reading = analysis.reading if analysis else to_hiragana(norm)
        reading_starts = analysis.reading_starts if analysis else None
        text = norm
        read_len = len(reading)          # the reading proper; a squeezed copy may follow it
        where: list[int] = []
        if _SQUEEZE.search(norm):     # "いしき ない", "しにたぃ", "しにたーい": read them as one word too
            squeezed, where = _squeeze(norm)
            text = norm + "\n" + squeezed
            squeezed_r = to_hiragana(squeezed)
            # a word starts in the squeezed copy where one started in the text (出てけって holds no 蹴って)
            starts_in_copy = {j for j, i in enumerate(where) if token_starts is None or i in token_starts}
            if token_starts is not None:
                token_starts = token_starts | {len(norm) + 1 + j for j in starts_in_copy}
            if reading_starts is not None:
                reading_starts = reading_starts | {len(reading) + 1 + j for j in starts_in_copy}
            reading = reading + "\n" + squeezed_r
        spans: list[_WordSpans] = []      # read from the tokens on first need (a match on the reading)

        def word_spans() -> _WordSpans:
            if not spans:
                spans.append(_word_spans(analysis))
            return spans[0]

        token_at: list[dict[int, int]] = []    # token index by start: in the reading, in the text

        def token_index(i: int) -> int | None:
            """The token read at ``i`` in the reading or its squeezed copy (None: no token starts there)."""
            if analysis is None:
                return None
            if not token_at:
                token_at.extend(({pos: k for k, pos in enumerate(_reading_offsets(analysis))},
                                 {tok.start: k for k, tok in enumerate(analysis.tokens)}))
            j = i - read_len - 1
            if i < read_len:
                return token_at[0].get(i)
            return token_at[1].get(where[j]) if 0 <= j < len(where) else None

        def goes_to(i: int) -> bool:
            """The word read at ``i`` is 行く going somewhere."""
            k = token_index(i)
            return k is not None and _goes_to(analysis.tokens, k, self._iku_kept_after,
                                              self._iku_someones_side)

        def split_from_its_stem(i: int) -> bool:
            """Sudachi cut a kana word and read its first kana as an interjection: あ|おうと is 会おうと,
            not 嘔吐."""
            k = token_index(i)
            if not k:
                return False
            prev = analysis.tokens[k - 1]
            return prev.pos == "感動詞" and len(prev.surface) == 1 and _KANA_ONLY.match(prev.surface) is not None

        def other_word(i: int, end: int, allowed: str | frozenset[str]) -> bool:
            """The reading matched, but the text writes it with other kanji: 行きたい is not 逝きたい."""
            return any(a < end and i < b and any(c not in allowed for c in k) for a, b, k in word_spans()[2])
        hit_terms: set[str] = set()
        seen_on_text: set[str] = set()             # found on the text, kept or suppressed there
        read_spans: list[tuple[int, int]] = []     # where terms found on the text sit in the reading
        for stream, index, starts, is_text in ((text, self._text_index, token_starts, True),
                                               (reading, self._reading_index, reading_starts, False)):
            taken_until = -1
            copy_from = (len(norm) if is_text else read_len) + 1     # where the squeezed copy starts
            judged: set[str] = set()       # terms judged (kept or suppressed) before the copy
            for i, needle, term in index.finditer(stream):
                if term.text in hit_terms or i + len(needle) <= taken_until:
                    continue           # inside a longer term found here (待ち伏せ reaching past 家の前で待 is not)
                if i >= copy_from and term.text in judged:
                    continue           # the squeezed copy finds what spaces and marks hid; it does not judge
                    #                    again a word already judged (にゅーすで ぎゃくたい: the copy's にゅすで
                    #                    is no frame)
                if not is_text and (term.text in seen_on_text or any(term.text in h for h in hit_terms)):
                    continue           # already found, in a longer form, on the text
                if not is_text and any(a < i + len(needle) and i < b for a, b in read_spans):
                    continue           # the same words, already found on the text
                end = i + len(needle)
                if not is_text and any(a < end and i < b and not (i <= a and b <= end) and
                                       not (i == a and end - i >= 4) for a, b in word_spans()[0]):
                    continue           # cuts a katakana word in two: インク does not end 消えたい
                    #                    (a word typed in katakana may start with one: ナグラレタ)
                if not is_text and any(a < end and i < b and not (i <= a and b <= end) for a, b in word_spans()[1]):
                    continue           # read inside a word in latin letters: DVD (でぃーぶいでぃー) is no DV
                if term.ascii_word:
                    if not ((i == 0 or not (stream[i - 1].isascii() and stream[i - 1].isalnum())) and
                            (end == len(stream) or not (stream[end].isascii() and stream[end].isalnum()))):
                        continue
                elif (term.kana_only or not is_text) and starts is not None and (
                        i not in starts or split_from_its_stem(i)):
                    continue
                if not is_text and other_word(i, end, term.text):
                    continue
                if (not is_text and starts is not None and _KANJI_WORD.fullmatch(term.text) and end < len(stream)
                        and stream[end] != "\n" and end not in starts):
                    continue           # a word in kanji read inside a longer word: こう|いしょう holds no 遺書
                if not is_text and i and needle.startswith("いき") and (stream[i - 1] in "てで" or (
                        self._iku_kanji and self._iku_kanji in term.text and goes_to(i))):
                    continue           # 行く, not 逝く: the auxiliary ていく (慣れていきたい, がんばって いきたい),
                    #                    or going to a place (こうえんに いきたい); 息 is another word
                    #                    (おばあちゃん いきしてない)
                if i < copy_from:
                    judged.add(term.text)
                if is_text:               # the text decides for these words, kept or suppressed
                    seen_on_text.add(term.text)
                    if term.reading:
                        j = reading.find(term.reading)
                        while j >= 0:
                            read_spans.append((j, j + len(term.reading)))
                            j = reading.find(term.reading, j + 1)
                if suppressed(stream, i, end, kana_msg or not is_text or _written_in_kana(stream, i, end),
                              term.text, term.kind):
                    continue
                found.append(Occurrence(term, self._kind(term, stream, i, end), (0 if is_text else 1, i, end)))
                hit_terms.add(term.text)
                taken_until = end          # a shorter term inside this one is the same word
        if self.patterns:
            found.extend(self._find_patterns(reading, reading_starts, hit_terms, read_spans, other_word,
                                             norm, kana_msg, suppressed))
        if analysis is not None and self.sequences:
            found.extend(self._find_sequences(norm, analysis, hit_terms, kana_msg, suppressed))
        if analysis is not None and self.lemmas:
            spans = [(o.term.text, norm.find(o.term.text)) for o in found]
            for tok in analysis.tokens:
                term = self.lemmas.get(tok.norm)
                if term is None or term.text in hit_terms:
                    continue
                i, end = tok.start, tok.start + len(tok.surface)
                if any(j >= 0 and j <= i < j + len(t) for t, j in spans):
                    continue               # inside a lexicon term already found
                if suppressed(norm, i, end, kana_msg or _written_in_kana(norm, i, end), term.text, term.kind):
                    continue
                found.append(Occurrence(term, self._kind(term, norm, i, end), (0, i, end)))
                hit_terms.add(term.text)
        return found

    def _find_patterns(self, reading: str, starts: frozenset[int] | set[int] | None,
                       hit_terms: set[str], read_spans: Sequence[tuple[int, int]] = (),
                       other_word: Callable[[int, int, frozenset[str]], bool] | None = None,
                       norm: str = "", kana_msg: bool = False,
                       suppressed: Callable[..., bool] | None = None) -> list[Occurrence]:
        """Regular expressions over the hiragana reading (a match must start a word), or the text."""
        suppressed = suppressed or self._suppressed
        out: list[Occurrence] = []
        # the patterns that may match (each gate holds the numbers of its own stream's patterns), in order
        for n in sorted(self._may_match(self._gate_text, norm) | self._may_match(self._gate_reading, reading)):
            pat = self.patterns[n]
            if pat.term.text in hit_terms:
                continue
            if pat.on_text:
                for m in pat.regex.finditer(norm):
                    if self._denied(norm, m.start()):
                        continue           # i'm not suicidal: the words are not said of oneself
                    if suppressed(norm, m.start(), m.end(), kana_msg, pat.term.text, pat.term.kind):
                        continue
                    out.append(Occurrence(pat.term, self._kind(pat.term, norm, m.start(), m.end()),
                                          (0, m.start(), m.end())))
                    hit_terms.add(pat.term.text)
                    break
                continue
            for m in pat.regex.finditer(reading):
                i, end = m.start(), m.end()
                if starts is not None and i not in starts:
                    continue
                if any(a <= i and end <= b for a, b in read_spans):
                    continue           # inside words a lexicon term found on the text: the text decided
                if other_word is not None and other_word(i, end, pat.kanji):
                    continue
                if suppressed(reading, i, end, True, pat.term.text, pat.term.kind):
                    continue
                out.append(Occurrence(pat.term, self._kind(pat.term, reading, i, end), (1, i, end)))
                hit_terms.add(pat.term.text)
                break
        return out

    def _denied(self, text: str, start: int) -> bool:
        """An English phrase at ``start`` is denied by the words just before it (``english_denial``)."""
        first = text[start:start + 1]
        return (self._english_denial is not None and first.isascii() and first.isalpha()
                and self._english_denial.search(text, max(0, start - _DENIAL_WINDOW), start) is not None)

    def _find_sequences(self, norm: str, analysis: Analysis, hit_terms: set[str],
                        kana_msg: bool = False, suppressed: Callable[..., bool] | None = None) -> list[Occurrence]:
        """Word-sequence patterns on normalized forms (死ぬ … たい, 生きる … 意味 … ない)."""
        suppressed = suppressed or self._suppressed
        out: list[Occurrence] = []
        toks = analysis.tokens
        norms = [t.norm for t in toks]
        first = self._seq_first
        for i in [i for i, n in enumerate(norms) if n in first]:
            for k in first[norms[i]]:
                term, steps, gap, not_after = self.sequences[k]
                if term.text in hit_terms:
                    continue
                j, ok = i, True
                for step in steps[1:]:
                    for m in range(j + 1, min(len(norms), j + 1 + gap)):
                        if norms[m] in step:
                            j = m
                            break
                    else:
                        ok = False
                        break
                if not ok or (j + 1 < len(norms) and norms[j + 1] in not_after):
                    continue
                start = toks[i].start
                end = toks[j].start + len(toks[j].surface)
                kana = kana_msg or _written_in_kana(norm, start, end)
                if start >= len(norm) or suppressed(norm, start, end, kana, term.text, term.kind):
                    continue
                out.append(Occurrence(term, self._kind(term, norm, start, end), (0, start, end)))
                hit_terms.add(term.text)
        return out

    def screen(self, norm: str, analysis: Analysis | None, seen: list[str] | None = None) -> CrisisHit | None:
        """A CrisisHit when a strong term fires, or two weak ones; else None. ``seen`` collects the
        terms the lexicon read and set aside (suppressed, or told as over); a weak sign alone is not
        set aside: it is only not enough."""
        occ = self.find(norm, analysis, seen)
        found = occ
        kana_msg = not _KANJI.search(norm)
        reading = analysis.reading if analysis is not None else to_hiragana(norm)
        told: dict[Occurrence, bool] = {}   # a sign's clause told as not going on: read once per sign

        def not_going_on(o: Occurrence) -> bool:
            if o not in told:
                told[o] = self._not_going_on(o, analysis, kana_msg)
            return told[o]
        if occ and self._past_markers.within(norm, kana_msg):       # a past that is over
            occ = [o for o in occ if o.kind == "emergency" or not (
                self._over(o, norm, reading, kana_msg) and not_going_on(o))]
        if occ and self._calm.within(norm, kana_msg):               # …今は落ち着いて暮らしています
            occ = [o for o in occ if o.kind in _NOT_CALMED or not (
                self._calm_now(o, norm, reading, kana_msg) and not_going_on(o))]
        if occ and self._strain_cause is not None and self._strain_cause.frames(norm, kana_msg):
            # strain with its cause named anywhere in the message (産後3ヶ月。わけもなく涙が出る) is the
            # desk's: a weak sign of distress alone is set aside; a strong one (消えたい) stays
            occ = [o for o in occ if not (o.kind == self._strain_kind and o.term.weak)]
        if occ and self._told_resolved(norm, kana_msg):
            occ = [o for o in occ if not o.kind.startswith("medical")]   # "頭を打ったけど異常なし"
        if occ and self._dated_kinds and self._dated.within(norm, kana_msg):   # 去年お風呂で倒れてから
            occ = [o for o in occ if o.kind not in self._dated_kinds or not (
                self._dated_before(o, analysis, kana_msg) and not_going_on(o))]
        if seen is not None:      # told as over (昔は…今は元気), or a medical event said to be resolved
            seen.extend(o.term.text for o in found if o not in occ)
        strong = [o for o in occ if not o.term.weak]
        signs = [o for o in occ if not o.term.companion]
        if not strong and not (signs and (self._weak_add_up(occ) or self._short_message(norm, kana_msg))):
            rest = norm
            for o in signs:           # the urgency must be said besides the sign (学校に行くのが怖い is one)
                rest = rest.replace(o.term.text, "")
            for w in self._urgent_not:  # a worry about what might happen is no urgency now
                rest = rest.replace(w, "")
            if not (signs and self._urgent.within(rest, kana_msg)):
                return None
        deciding = strong or occ
        rank = {k: i for i, k in enumerate(self.priority)}
        kinds = sorted({o.kind for o in deciding}, key=lambda k: rank.get(k, len(rank)))
        others = sorted({o.kind for o in occ} - set(kinds), key=lambda k: rank.get(k, len(rank)))
        doubt = "settled" if all(self._settled_after(o, norm, reading, kana_msg) and not_going_on(o)
                                 for o in deciding) else ""
        return CrisisHit(kind=kinds[0], terms=tuple(dict.fromkeys(o.term.text for o in occ)),
                         line_ids=self.lines_for(kinds + others), doubt=doubt)

    def _short_message(self, norm: str, kana: bool) -> bool:
        """Short enough for one weak sign to count: spaces not counted, and a message typed without
        kanji may be longer (はなしをきいてほしい as 話を聞いてほしい)."""
        return len(norm.replace(" ", "")) <= (self._short_kana if kana else self._short)

    def _told_resolved(self, norm: str, kana: bool) -> bool:
        """A medical event told as resolved (異常なし, 今は元気), not as only looking so (今は元気そう
        だけど: a swallowed battery may show nothing yet)."""
        return any(not norm.startswith(self._looks_so, m.end())
                   for m in self._medical_resolved.finditer(norm, kana))

    def _dated_before(self, o: Occurrence, analysis: Analysis | None, kana: bool) -> bool:
        """A date a month or more ago comes before the sign in its sentence, starts no span (先月から),
        and no past tense closes a clause between them (去年転んだ母が、トイレで倒れて: 転んだ is dated,
        not 倒れて); and the sentence tells nothing recent (今朝), present (また, 今も) or now (いま). Read on
        the text, the sign placed there by its first word (a sign found on the reading too)."""
        k = _token_at(analysis, o.span) if analysis is not None else None
        if k is None:
            return False
        toks, text = analysis.tokens, analysis.text
        a = toks[k].start
        start = max((m.end() for m in _SENTENCE_END.finditer(text, 0, a)), default=0)
        end_m = _SENTENCE_END.search(text, a)
        end = end_m.start() if end_m else len(text)
        sentence = text[start:end]
        if self._recent.within(sentence, kana) or self._present.within(sentence, kana):
            return False
        if any(t.norm in self._dated_now or t.surface in self._dated_now
               for t in toks if start <= t.start < end):
            return False
        dates = list(self._dated.finditer(text[:a], kana, start))
        if not dates or any(self._since_then.starts(text[m.end():], kana) for m in dates):
            return False
        last = dates[-1].end()
        return not any(t.pos == "助動詞" and t.norm == "た" for t in toks[:k] if t.start >= last)

    def _settled_after(self, o: Occurrence, norm: str, reading: str, kana: bool) -> bool:
        """After this sign the message says the matter is settled now (今は元気, 解決しています,
        大丈夫、ちゃんと生きてる), not negated (元気がない, 大丈夫かな), with no fear or urgency and
        without the sign again after that, and the sign was not just now (さっき, 今日)."""
        if o.span[0] < 0:
            return False
        stream, _a, b = o.span
        text, k = (norm, kana) if stream == 0 else (reading, True)
        if self._recent.within(text[:b], k):
            return False
        for m in self._settled.finditer(text, k, b):
            nxt = text[m.end():m.end() + 4]
            if nxt.startswith(self._settled_not):
                continue
            after = text[m.end():]
            return not (self._urgent.within(after, k) or self._said_again(o, after))
        return False

    def _not_going_on(self, o: Occurrence, analysis: Analysis | None, kana: bool) -> bool:
        """The sign's clause is not told as going on (リストカットしています) nor as an attempt with no
        time (首を吊ろうとした; 3年前に首をつろうとした is over): see ``_tense``."""
        tense = self._tense(o, analysis)
        if tense == "attempt":
            return self._told_when(o, analysis, kana)
        if tense == "going":        # 去年ずっと「死にたい」って言ってて: it went on then, not since (去年から)
            return self._told_when(o, analysis, kana, not_since=True)
        return tense in ("past", "")

    def _told_when(self, o: Occurrence, analysis: Analysis | None, kana: bool, not_since: bool = False) -> bool:
        """A past time word (3年前に, 去年, 中学の時) comes before the sign in its sentence; with
        ``not_since``, one that starts no span up to now (去年から)."""
        if analysis is None or o.span[0] < 0:
            return False
        stream, a, _b = o.span
        src = analysis.text if stream == 0 else analysis.reading
        sent_start = max((m.end() for m in _SENTENCE_END.finditer(src, 0, a)), default=0)
        k = kana or stream == 1
        if not not_since:
            return self._past_markers.within(src[sent_start:a], k)
        return any(m.end() <= a and not self._since_then.starts(src[m.end():], k)
                   for m in self._past_markers.finditer(src, k, sent_start))

    @staticmethod
    def _tense(o: Occurrence, analysis: Analysis | None) -> str:
        """How the sign's clause is told, read from Sudachi's tokens up to the clause's end: "past" (a
        past auxiliary た/だ: してたけど, 避難していた, 言われてました), "attempt" (吊ろうとした),
        "going" (ている/てる and no past: リストカットしています) or "" (no tense: 暴力があり、)."""
        stream, _a, b = o.span
        if analysis is None or stream < 0 or b > len(analysis.text if stream == 0 else analysis.reading):
            return "going"       # no tokens to read it by (the squeezed copy of a spaced message): not over
        pos = 0
        prev, prev_pos = "", ""
        going = False
        for tok in analysis.tokens:
            start = tok.start if stream == 0 else pos
            pos += len(tok.reading)
            if start + (len(tok.surface) if stream == 0 else len(tok.reading)) <= b:
                prev, prev_pos = tok.norm, tok.pos
                continue
            if (tok.pos == "補助記号" and tok.surface in "、。！？!?,\n") or (tok.pos == "助詞" and (
                    tok.norm in _CLAUSE_LINK or tok.norm in _CLAUSE_LINK_AFTER_VERB and prev_pos in ("動詞", "助動詞"))):
                break
            if tok.pos == "助動詞" and tok.norm == "た":      # してました, していた: past, even if it went on
                src = analysis.text if stream == 0 else analysis.reading
                return "attempt" if _ATTEMPT.search(src[b:start]) else "past"
            going = going or tok.norm == "てる" or (tok.norm == "居る" and prev == "て")
            prev, prev_pos = tok.norm, tok.pos
        return "going" if going else ""

    def _over(self, o: Occurrence, norm: str, reading: str, kana: bool) -> bool:
        """The message says this sign is over *after* it (…リスカしていたけど今はもうしていない), and
        does not say it again after that (昔からつらい。今は毎日死にたい stays a crisis)."""
        if o.span[0] < 0:
            return self._resolved.within(norm, kana)
        found = self._marker_after(o, norm, reading, kana, self._resolved)
        return found is not None and not self._said_again(o, found[0][found[2]:])

    def _calm_now(self, o: Occurrence, norm: str, reading: str, kana: bool) -> bool:
        """After this sign the message says that now all is calm (今は…落ち着いて暮らしています), with no
        fear or urgency after that and without the sign again, and the sign was not just now (さっき)."""
        if o.span[0] < 0:
            return False
        found = self._marker_after(o, norm, reading, kana, self._now)
        if found is None:
            return False
        text, k, at = found
        after = text[at:]
        if self._calm.first(after, k) < 0 or self._recent.within(text[:at], k):
            return False
        return not (self._urgent.within(after, k) or self._said_again(o, after))

    @staticmethod
    def _marker_after(o: Occurrence, norm: str, reading: str, kana: bool,
                      markers: Forms) -> tuple[str, bool, int] | None:
        """The stream the sign was found on, whether it is kana, and where the first of ``markers``
        after the sign starts there; None when none follows."""
        stream, _a, b = o.span
        text, k = (norm, kana) if stream == 0 else (reading, True)
        cut = markers.first(text[b:], k)
        return None if cut < 0 else (text, k, b + cut)

    @staticmethod
    def _said_again(o: Occurrence, after: str) -> bool:
        return o.term.text in after or bool(o.term.reading and o.term.reading in after)

    def _weak_add_up(self, occ: Sequence[Occurrence]) -> bool:
        """Two weak signs make a crisis when they speak of the same danger (夜間に + 眠れない do not)."""
        groups = self._signal_groups or (None,)
        return any(_distinct([o for o in occ if g is None or o.kind in g]) >= 2 for g in groups)

    def lines_for(self, kinds: Sequence[str]) -> tuple[str, ...]:
        """Catalogue crisis lines for these kinds in order, verified first, then by priority."""
        out: list[str] = []
        for kind in [*kinds, "general"]:
            for line in sorted((ln for ln in self.lines if kind in ln.kinds),
                               key=lambda ln: (not ln.verified, ln.priority)):
                if line.id not in out:
                    out.append(line.id)
            if out and kind == "general":
                break
        return tuple(out)
