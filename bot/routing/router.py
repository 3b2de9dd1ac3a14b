"""The router: normalise → screen → tokenise → expand → score → cues → decide.

``build_router(catalogue)`` does all the work that can be done once (Sudachi, the crisis lexicon and
its readings, the synonym table, the BM25 index, the phrase tables); ``Router.route(text)`` is then
one Sudachi pass and a few dictionary walks. The engine knows no city: every service, age range and
crisis line comes from the catalogue, every word list from bot/routing/data.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from bot.catalogue.model import Catalogue, Confidence, Field_, Service
from bot.ops.memory import return_freed_memory
from bot.routing import data as routing_data
from bot.routing import learned
from bot.routing.crisis import CrisisScreen, LineRef
from bot.routing.cues import Cues, Found
from bot.routing.decide import Decision, Params, Signals, decide
from bot.routing.english import SEPARATOR, Glossary, is_english
from bot.routing.expand import SYN, Expander, merge
from bot.routing.literal import LiteralIndex, alternation
from bot.routing.normalise import Normaliser, to_hiragana
from bot.routing.result import CrisisHit, Match, Outcome, RoutingResult
from bot.routing.score import FIELD_WEIGHTS, Doc, Index
from bot.routing.tokenise import Analysis, Tokeniser, shared_tokeniser

MAX_CHARS = 1000          # what is analysed of one inquiry (the crisis screen reads all of it)
CUE_BONUS, CUE_MALUS = 0.35, 0.3
STAGE_MALUS = 0.6         # only life stages named, none of them the desk's (子ども向けの教室 for an elderly desk)
PHRASE_PART = 0.6         # weight of the words of a several-word keyword, relative to a one-word keyword
AGE_TERM = "@年齢"        # the age evidence in the explanation (a cue: never a need of its own) ...
AGE_PERSON = "「年齢」"    # ... unless the message names several people: then it tells one of them apart
AGE_EVIDENCE = 2.5       # a stated age inside a desk's own age range (19歳 → a 15–39 desk)
PARTICIPATION_BONUS = 0.4
VISIT_BONUS, VISIT_MALUS = 0.4, 0.5   # desks that visit: asked for a visit / not asked
VISIT_SIBLING = 0.75      # a visiting desk this close to its non-visiting sibling goes first when a visit is asked
VISIT_NEG_SPAN = 8        # characters after a visit word where a refusal (いらない) is looked for
VISIT_EVIDENCE = 1.5     # what asking for a visit weighs for them (a found phrase)
KANA_SHARE, KANA_WEIGHT = 0.6, 0.8   # kana-written inquiries: share of kana, weight of reading matches
SHORT_TOPIC = 16          # characters: one short sentence about one topic
SHORT = 6                 # characters: a message this short with no desk words gets a question
FUZZY_TEXT = 80            # typos are looked for in short messages (a long one says enough in other words)
FUZZY_BELOW = 2.2         # exact evidence under which typo-tolerant matching is tried
HISTORY_SPAN = 10         # characters after a keyword where a past is told (辞めて, 続かない)
LEARNED_CRISIS = 0.7      # the learned model is this sure of a crisis the lexicon did not see: crisis lines first
LEARNED_DOUBT = 0.05      # a crisis alarm in doubt (every sign told as settled now) stands unless the model reads less
LEARNED_CRISIS_SEEN = 0.98  # ... and this sure where the lexicon read a crisis word and set it aside
LEARNED_FAMILY_SURE = 0.5   # the crisis family the learned reader names: unless it is this sure of it ...
LEARNED_FAMILY_MARGIN = 0.3  # ... and this much surer than of the next, every family's lines take turns
LEARNED_SHORT_CHAT = 0.5  # a message of a few words the short reader reads under this (more likely chat than
#                           not): its reading replaces the main reader's, which knows little of everyday chat.
#                           0.7 lost 2 crisis lines on the short blind file; 0.5 and 0.6 none
LEARNED_CARE = 0.15       # this sure, under the crisis bar: the answer stays, and its family's lines come
#                           with it, gently (RoutingResult.care). Chosen on the blind files' counts: the
#                           lowest bar, in steps of 0.05, that gives at most 1 ordinary message in 40 the
#                           lines (0.15: 32 of 1 797; 0.1: 47, 2.6 %)
OPENING_REST = 4          # letters besides openers and courtesy: a message that only opens a conversation
LEARNED_CRISIS_MIN = 8    # characters: the learned reader reads sentences (はい, ありがとう, きァ say nothing
#                           it can weigh). At 10, a message of 9 (もう終わりにします) was read by neither it
#                           nor the lexicon's short-message rule (one weak sign counts up to 8)
LEARNED_CRISIS_CONTENT = 6  # ... with this many letters besides courtesy (ありがとうございました。了解です says no need)
_LETTERS = re.compile(r"[^\W_]")
LEARNED_NEED = 0.5        # a second need the words found, short of the bar, that the model is this sure of ...
LEARNED_NEED_MIN = 2.0    # ... with at least this much evidence of its own, is a second need
LEARNED_PICK = 0.5        # one desk: the model is this sure of another of the first three desks the words found ...
LEARNED_PICK_MARGIN = 0.2  # ... and surer of it than of the first by this much: that one goes first
LEARNED_PICK_TOP = 3
LEARNED_ONE = 0.03        # a second need just over the bar (under LEARNED_ONE_REST) that the model gives
#                           under this: one need, the one it is surer of (the other stays second). Was 0.01,
#                           and only while ≥ 0.9 sure of the first; unsure of the first, it can still rule
#                           out the second (eleventh pass: older blind +5 and +9 in two training orders)
LEARNED_ONE_REST = 12.0   # ... (the second need's own evidence; seventh pass, was 6: 地区のサロン for 一人暮らしの母)
LEARNED_SIBLING = 0.8     # ... unless the model is this sure of a desk of the second's field: it takes its place
LEARNED_MULTI = 0.8       # one desk: the model is this sure of a desk of another field among the next four ...
LEARNED_MULTI_FIRST = 0.5  # ... and this sure of the first: both are needed (a second need no word list held)
LEARNED_MULTI_TOP = 5
LEARNED_THIRD = 0.5       # one desk: a desk the words ranked 4th or later that the model is this sure of, and surer
#                           than of the 3rd, is shown 3rd (the choices a resident sees)
LEARNED_DECIDE = 0.7      # a close call between the first two desks (clarify): the model is this sure of one ...
LEARNED_DECIDE_MARGIN = 0.3  # ... surer of it than of the other by this much ...
LEARNED_DECIDE_VAGUE = 0.3   # ... and this unsure a front desk would ask back: route to it
LEARNED_VAGUE = 0.5       # one desk, plainly: the model says a front desk would ask back, this sure ...
LEARNED_VAGUE_DESK = 0.5  # ... and is less sure than this of that desk: ask which desk is meant
LEARNED_VAGUE_ANY = 0.95  # one desk, by any rule: the model is this sure a front desk would ask back: ask (tenth
#                           pass, was 0.85: with bigrams of hiragana the model reads 〜のことで相談したい as a
#                           question, 0.93 for 母の介護のことで相談したい, which its desk's own word names)
LEARNED_RESCUE_OOS = 0.05  # declined by its words (an errand word, unknown nouns), and the model gives P(∅) under this ...
LEARNED_RESCUE_DESK = 0.5  # ... and is this sure of one of the first desks the words found: decided again without them


def learned_second_look(m: learned.Model, d: Decision, feats: Mapping[str, float] | learned.Reading,
                        fields: Mapping[str, frozenset[str]] | None = None,
                        joint: frozenset[str] = frozenset(), visiting: frozenset[str] = frozenset(),
                        open_desks: frozenset[str] = frozenset(), ask_back: bool = True) -> tuple[Decision, dict[str, float]]:
    """The learned model's second look at a decision the words made (trained on labelled inquiries of
    many writers, it weighs the ordinary words no list holds). Returns the decision and what it read:
    - several needs, the second just over the bar, that the model is sure are one: one need, the desk
      it is surer of (the other stays second in the list);
    - one desk, and the model sure of another of the first three the words found: that one first;
      sure of one ranked 4th or later, and surer than of the 3rd: that one 3rd;
    - one desk, and the model sure of it and of a desk of another field the words also found: both
      (``fields``: service id -> 分野; without it, never). As in *Decide*: two desks of taking part
      (``joint``: a class, a salon, the area's activities) are one activity, two desks that visit
      (``visiting``) one visit, and beside a desk open to everyone whatever their condition
      (``open_desks``: work, visits) a condition named is no second need;
    - a close call between the first two desks the words found (clarify), and the model sure of one
      and sure no front desk would ask back: that desk;
    - one desk, plainly, that the model would ask back about, or one desk by any rule that it is very
      sure it would ask back about (clarify lines teach the candidate desks too, so a high desk
      probability does not speak against asking): ask which desk is meant. Not with ``ask_back=False``
      (a message in English: the model sees only the glossary's topic words, a bare list of words
      like the short lines it was taught to ask back about)."""
    if d.outcome is Outcome.MULTI:
        if len(d.needed) != 2 or LEARNED_ONE <= 0:
            return d, {}
        ps = m.probabilities_of(feats, d.needed)
        keep, weak = sorted(d.needed, key=ps.__getitem__, reverse=True)
        if ps[weak] >= LEARNED_ONE:      # the model does not rule the second need out: both stay
            return d, ps
        if fields is not None and LEARNED_SIBLING < 1:
            # the second need is right but the desk is its neighbour (介護予防 for 介護): a desk of the
            # same field, not of the first's, that the model is sure of takes its place (read only here)
            kin = [x for x in d.order[:LEARNED_MULTI_TOP] if x not in d.needed
                   and fields.get(x, frozenset()) & fields.get(weak, frozenset())
                   and not fields.get(x, frozenset()) & fields.get(keep, frozenset())]
            if kin:
                ps.update(m.probabilities_of(feats, kin))
            sib = max(kin, key=ps.__getitem__) if kin else None
            if sib is not None and ps[sib] >= LEARNED_SIBLING:
                needs = tuple(sib if x == weak else x for x in d.needed)
                d = dataclasses.replace(d, needed=needs, order=needs + tuple(x for x in d.order if x not in needs),
                                        reason=d.reason + f"; the learned model: {sib}, not {weak}")
                return d, ps
        if d.second.get(weak, 0.0) < LEARNED_ONE_REST:
            d = dataclasses.replace(d, outcome=Outcome.ROUTE, needed=(keep,), plain=False,
                                    order=(keep,) + tuple(x for x in d.order if x != keep),
                                    reason=d.reason + "; the learned model: one need")
        return d, ps
    if d.outcome is Outcome.CLARIFY and d.close and len(d.order) > 1 and LEARNED_DECIDE < 1:
        # a close call between desks the words found: the model, sure of one of the first two and
        # sure no front desk would ask back, decides it
        ps = m.probabilities_of(feats, (*d.order[:2], learned.VAGUE))
        best = max(d.order[:2], key=ps.__getitem__)
        other = d.order[1] if best == d.order[0] else d.order[0]
        if ps[best] >= LEARNED_DECIDE and ps[best] - ps[other] >= LEARNED_DECIDE_MARGIN \
                and ps[learned.VAGUE] < LEARNED_DECIDE_VAGUE:
            d = dataclasses.replace(d, outcome=Outcome.ROUTE, needed=(best,), plain=False,
                                    order=(best,) + tuple(x for x in d.order if x != best),
                                    reason=d.reason + "; the learned model decided it")
        return d, ps
    if d.outcome is not Outcome.ROUTE or not d.order:
        return d, {}
    ps = m.probabilities_of(feats, (*d.order, learned.VAGUE))   # one walk for the looks below
    best = max(d.order[:LEARNED_PICK_TOP], key=ps.__getitem__)
    if best != d.order[0] and ps[best] >= LEARNED_PICK and ps[best] - ps[d.order[0]] >= LEARNED_PICK_MARGIN:
        d = dataclasses.replace(d, needed=(best,), order=(best,) + tuple(x for x in d.order if x != best),
                                reason=d.reason + "; the learned model chose")
    if len(d.order) > 3:
        later = max(d.order[3:], key=ps.__getitem__)
        if ps[later] >= LEARNED_THIRD and ps[later] > ps[d.order[2]]:
            d = dataclasses.replace(d, order=d.order[:2] + (later,) + tuple(x for x in d.order[2:] if x != later))
    if LEARNED_MULTI < 1 and fields is not None and len(d.order) > 1 and d.order[0] not in open_desks:
        first = d.order[0]
        others = [x for x in d.order[1:LEARNED_MULTI_TOP] if not (fields.get(x, frozenset()) & fields.get(first, frozenset()))
                  and not (x in joint and first in joint) and not (x in visiting and first in visiting)]
        if others:
            sec = max(others, key=ps.__getitem__)
            if ps[sec] >= LEARNED_MULTI and ps[first] >= LEARNED_MULTI_FIRST:
                needs = (first, sec)
                return dataclasses.replace(d, outcome=Outcome.MULTI, needed=needs, plain=False,
                                           order=needs + tuple(x for x in d.order if x not in needs),
                                           reason="independent needs; the learned model read the second"), ps
    if ask_back and (ps[learned.VAGUE] >= LEARNED_VAGUE_ANY or
                     (d.plain and ps[learned.VAGUE] >= LEARNED_VAGUE and ps[d.order[0]] < LEARNED_VAGUE_DESK)):
        d = dataclasses.replace(d, outcome=Outcome.CLARIFY, needed=(), plain=False,
                                reason=f"the learned model: a front desk would ask back ({ps[learned.VAGUE]:.2f})")
    return d, ps


def _verified(line) -> bool:
    return any(ph.provenance.confidence == Confidence.VERIFIED for ph in line.phones)


def _scale(score: float) -> float:
    return score / (score + 4.0) if score > 0 else 0.0


@dataclass(frozen=True)
class Router:
    catalogue: Catalogue
    tokeniser: Tokeniser
    normalise: Normaliser
    screener: CrisisScreen
    expander: Expander
    index: Index
    cues: Cues
    services: Mapping[str, Service]
    routable: tuple[str, ...]
    offers: tuple[str, ...]
    fields: Mapping[str, frozenset[str]]
    age_ranges: Mapping[str, tuple[int, int] | None]
    kana_index: LiteralIndex
    oos_words: tuple[str, ...]
    vague_words: tuple[str, ...]
    participation_words: tuple[str, ...]
    participatory: frozenset[str]
    visit_words: tuple[str, ...] = ()
    compare_words: tuple[str, ...] = ()     # 何が違う, どっちに: the writer compares desks
    visit_negation: tuple[str, ...] = ()    # いらない, 不要: right after a visit word, it is declined
    topic_markers: tuple[str, ...] = ()     # のことで, について: the message names a topic, not a need
    visiting: frozenset[str] = frozenset()
    conditions: frozenset[str] = frozenset()   # a person's condition (障害, うつ): context beside a desk for everyone
    open_desks: frozenset[str] = frozenset()   # routable desks of field 全 (open to everyone)
    elder_roles: tuple = ()                    # (min age, parent-generation words, other people's words)
    history_words: tuple[str, ...] = ()        # 辞めて, 続かない: after a keyword, a past told (data/scope.yaml)
    wish_words: frozenset[str] = frozenset()   # たい, 欲しい, 探す: the message asks for something (data/scope.yaml)
    asking_words: frozenset[str] = frozenset()  # 相談, 伺う, 聞く: the message asks to talk (data/scope.yaml)
    courtesy: re.Pattern[str] | None = None    # ありがとう, 了解です, はい: no need said (data/scope.yaml)
    opening: re.Pattern[str] | None = None     # こんにちは, 夜分にすみません: a conversation opened (data/scope.yaml)
    answers: re.Pattern[str] | None = None     # はい, いいえ: a bare answer, no goodbye (data/scope.yaml)
    params: Params = Params()
    model: learned.Model | None = None          # the learned weights (data/learned.json), when trained for this catalogue
    short_reader: learned.Model | None = None   # a second crisis reader for a few words

    def __post_init__(self) -> None:
        # the crisis kinds by family, each in the screen's priority order (the learned reader's classes)
        rank = {k: i for i, k in enumerate(self.screener.priority)}
        object.__setattr__(self, "crisis_families", tuple(
            tuple(sorted(f, key=lambda k: rank.get(k, len(rank)))) for f in learned.crisis_families()))
        # and each family's crisis lines, as the reader shows them (static: read once, not per alarm)
        object.__setattr__(self, "crisis_family_lines",
                           tuple(self.screener.lines_for(f) for f in self.crisis_families))
        # one pass over the inquiry finds every literal the stages look for (tagged by stage)
        entries: list[tuple[str, tuple[str, object]]] = []
        entries += [(p, ("phrase", p)) for p in self.index.phrases]
        entries += [(p, ("synonym", c)) for p, c in self.expander.phrase_groups.items()]
        entries += [(w[0], ("cue", w)) for w in self.cues.words]
        entries += [(w, ("oos", w)) for w in self.oos_words]
        entries += [(w, ("vague", w)) for w in self.vague_words]
        entries += [(w, ("part", w)) for w in self.participation_words]
        entries += [(w, ("visit", w)) for w in self.visit_words]
        object.__setattr__(self, "literals", LiteralIndex(entries))
        # literals that hold a visit word, precomputed (was a scan of visit_words per hit per inquiry)
        object.__setattr__(self, "has_visit", frozenset(
            s for s, (tag, _p) in entries if tag in ("phrase", "synonym") and any(v in s for v in self.visit_words)))
        object.__setattr__(self, "key_terms", {d.id: d.key for d in self.index.docs})
        object.__setattr__(self, "kana_scope", LiteralIndex([(w, ("oos", w)) for w in self.oos_words] +
                                                            [(w, ("vague", w)) for w in self.vague_words] +
                                                            [(w, ("visit", w)) for w in self.visit_words]))

    # --- stages ----------------------------------------------------------------------------
    def _analyse(self, norm: str) -> Analysis:
        return self.tokeniser.analyse(norm[:MAX_CHARS])

    def screen(self, text: str) -> CrisisHit | None:
        """The crisis screen alone (normalise + one tokeniser pass + lexicon)."""
        norm = self.normalise(text)
        return self._screen(norm, self._analyse(norm))

    def _screen(self, norm: str, analysis: Analysis, seen: list[str] | None = None) -> CrisisHit | None:
        """The crisis screen. A message typed all in katakana (ﾓｳｼﾆﾀｲ, from phones that write no
        hiragana) is screened in hiragana: Sudachi reads a katakana run as one unknown word, and a sign
        inside it would cut that word (モウ|シニタイ)."""
        if _KATA_MESSAGE.fullmatch(norm) and _KATA.search(norm):
            norm = to_hiragana(norm)
            analysis = self._analyse(norm)
        return self.screener.screen(norm, analysis, seen)

    def _read(self, text: str):
        """Normalise, screen, tokenise, find every literal, expand: what the later stages read."""
        norm = self.normalise(text)
        analysis = self._analyse(norm)
        seen: list[str] = []      # crisis words the lexicon read and set aside (死ぬほど眠い)
        hit = self._screen(norm, analysis, seen)
        glossary = self.normalise.english
        english = glossary.words(norm) if glossary is not None and is_english(norm) else None
        if english is not None:
            # a message in English (screened as written, English phrases and all) is routed on the
            # Japanese words the glossary found for it (the normaliser put them after SEPARATOR):
            # Sudachi reads English words as loanwords (day → デイ, mother → マザー) that match desks by accident
            norm_en = norm.rpartition(SEPARATOR)[2] if english else ""
            analysis = self._analyse(norm_en)
            text = norm_en[:MAX_CHARS]
        else:
            text = norm[:MAX_CHARS]
        lit: dict[str, list] = {"phrase": [], "synonym": [], "cue": [], "oos": [], "vague": [], "part": [],
                               "visit": [], "oos_at": []}
        cue_until = -1
        has_visit = self.has_visit
        for i, _s, (tag, payload) in self.literals.finditer(text):
            if i and _s[0].isdigit() and text[i - 1].isdigit():
                continue                      # "0歳" is not in "60歳"
            if tag == "cue":
                if i < cue_until:
                    continue                  # 高校 inside 高校生 is the same word
                cue_until = i + len(payload[0])
                lit["cue"].append((i, payload))
            else:
                if (tag == "visit" or tag in ("phrase", "synonym") and _s in has_visit) \
                        and any(n in text[i + len(_s):i + len(_s) + VISIT_NEG_SPAN] for n in self.visit_negation):
                    continue                  # 訪問まではいらない: a visit declined is not a visit asked
                if tag == "oos" and _inside_katakana(text, i, i + len(_s)):
                    continue                  # ダンス in ｿｳﾀﾞﾝｽﾙ (ソウダンスル): a katakana word is one word
                lit[tag].append(payload)
                if tag == "oos":
                    lit["oos_at"].append((0, i, i + len(_s), payload))
        hira = to_hiragana(norm)
        if hira != norm:    # katakana written (ジュウミンヒョウ): read the scope words on its hiragana too
            same = english is None       # the hiragana of the very text read above: the same places
            for i, _s, (tag, payload) in self.kana_scope.finditer(hira):
                if tag == "visit" and any(n in hira[i + len(_s):i + len(_s) + VISIT_NEG_SPAN] for n in self.visit_negation):
                    continue
                lit[tag].append(payload)
                if tag == "oos":
                    lit["oos_at"].append((0 if same else 1, i, i + len(_s), payload))
        terms = self.expander.terms(analysis, text, hits=lit["synonym"])
        kana_terms, kana_phrases = self._kana_terms(norm[:MAX_CHARS])
        for t, w in kana_terms.items():
            if terms.get(t, 0.0) < w:
                terms[t] = w
        # kana phrases read as their written form (きてほしい → 来てほしい) count as found phrases
        phrase_hits = list(dict.fromkeys(lit["phrase"] + [p for p in kana_phrases if p in self.index.phrases]))
        return norm, analysis, hit, text, lit, terms, phrase_hits, bool(seen), english

    def _told_as_past(self, text: str, phrase: str, others: Sequence[str] = ()) -> bool:
        """Every occurrence of the keyword is followed, before any other keyword, by a past told
        (バイトも3か月で辞めて; not 介護のために仕事を辞めて, where the past is the job's)."""
        i = text.find(phrase)
        if i < 0:
            return False
        while i >= 0:
            after = text[i + len(phrase):i + len(phrase) + HISTORY_SPAN]
            for q in others:
                j = after.find(q) if q != phrase and phrase not in q else -1
                if j >= 0:
                    after = after[:j]
            if not any(h in after for h in self.history_words):
                return False
            i = text.find(phrase, i + 1)
        return True

    def _small_talk(self, norm: str, beyond: int) -> tuple[bool, bool]:
        """(opens, courtesy only). Opens: a greeting or opener and little else (こんにちは。いま大丈夫
        ですか？, 夜分にすみません, ﾊｼﾞﾒﾏｼﾃ: at most OPENING_REST letters besides openers and courtesy).
        Courtesy only: thanks or a goodbye and nothing else (ありがとうございました、また連絡します); a
        greeting opens a conversation instead, and a bare answer (はい) is asked about. ``beyond``: the
        message's letters besides courtesy (``_beyond_courtesy``)."""
        opener = self.opening is not None and bool(self.opening.search(hira := to_hiragana(norm)))
        if opener:
            rest = self.opening.sub("", hira)
            rest = self.courtesy.sub("", rest) if self.courtesy is not None else rest
            return len(_LETTERS.findall(rest)) <= OPENING_REST, False
        if self.courtesy is None or beyond or not self.courtesy.search(norm):
            return False, False
        rest = self.answers.sub("", norm) if self.answers is not None else norm
        return False, bool(self.courtesy.search(rest))

    def _beyond_courtesy(self, norm: str) -> int:
        """Letters of the message besides its courtesy words (thanks, greetings, yes and no)."""
        rest = self.courtesy.sub("", norm) if self.courtesy is not None else norm
        return len(_LETTERS.findall(rest))

    def learned_features(self, text: str) -> dict[str, float]:
        """The learned model's view of an inquiry (the same reading as ``route``)."""
        norm, analysis, hit, text, lit, terms, _ph, _seen, _en = self._read(text)
        return self._features(text, terms, lit, self.cues.extract(text, hits=lit["cue"]))

    def _features(self, text: str, terms, lit, found) -> dict[str, float]:
        flags = [tag for tag in ("oos", "vague", "part", "visit") if lit[tag]]
        if len(lit["oos"]) > 1:
            flags.append("oos2")
        return learned.features(text, terms, ages=found.stated_ages or found.ages, stages=found.stages,
                                about=found.about, flags=flags)

    def route(self, text: str) -> RoutingResult:
        # english: the glossary's Japanese words when the message is in English (routed on them), else None
        norm, analysis, hit, text, lit, terms, phrase_hits, crisis_seen, english = self._read(text)
        told_past: set[str] = set()     # バイトも辞めて: a past told, not a need asked for
        if self.history_words and phrase_hits and any(h in text for h in self.history_words):
            for p in phrase_hits:
                if self._told_as_past(text, p, phrase_hits):   # its words are no second need (they still rank)
                    told_past.add("「" + p + "」")
                    told_past.update(self.expander.terms(self.tokeniser.analyse(p), p))
        scored = self.index.score(terms, text, hits=phrase_hits)
        found = self.cues.extract(text, hits=lit["cue"])
        feats: learned.Reading | None = None   # the learned model's reading of the inquiry, made once

        built: dict[str, float] | None = None    # the model's features of the inquiry, for both readers
        short_feats: learned.Reading | None = None   # the short reader's reading of them
        # a message of a few words: the short reader, trained on such messages, reads it too
        few_words = self.short_reader is not None and len(norm) <= learned.SHORT_MESSAGE

        def model_features() -> dict[str, float]:
            nonlocal built
            if built is None:
                built = self._features(text, terms, lit, found)
            return built

        def model_reading() -> learned.Reading:
            return feats or self.model.read(model_features())

        def short_reader_reading() -> learned.Reading:
            nonlocal short_feats
            if short_feats is None:
                short_feats = self.short_reader.read(model_features())
            return short_feats
        read_first: dict[str, float] = {}    # the learned model's first walk, when it was read for a crisis
        short_read: dict[str, float] = {}    # the short reader's readings of a few words
        p_crisis = -1.0
        doubted: dict[str, Any] = {}
        if hit is not None and hit.doubt and self.model is not None and english is None:
            # the lexicon cannot tell a story that is over from one that is not (…今は元気 against
            # 笑ってごまかされる): the learned model, trained on both, reads the whole message, and only
            # when it reads almost no crisis is the alarm set aside (its words stay in the explanation)
            feats = model_reading()
            p_doubt = self.model.probability(feats, learned.CRISIS)
            if p_doubt < LEARNED_DOUBT:
                doubted = {"doubt": hit.doubt, "terms": list(hit.terms), learned.CRISIS: round(p_doubt, 3)}
                hit, crisis_seen = None, True
        beyond = self._beyond_courtesy(norm)    # letters besides thanks, greetings, yes and no
        if hit is None and not doubted and self.model is not None and LEARNED_CRISIS < 1 \
                and len(norm) >= LEARNED_CRISIS_MIN and beyond >= LEARNED_CRISIS_CONTENT \
                and english is None:
            # (not a message in English: the model sees English only through the glossary's topic words,
            # which hold no crisis sign; there the lexicon's English phrases decide)
            # the lexicon raised no alarm; the learned model (trained on labelled crisis lines and their
            # near-misses) reads the whole message for what no word list holds: when it is sure, the
            # crisis lines come first. A word the lexicon read and set aside (死ぬほど眠い, 叩かれたりは
            # してないけど) raises the bar to all but certain: the lexicon's reasons usually hold
            feats = model_reading()
            # P(no welfare matter) in the same walk: it is asked below whenever the words are weak
            read_first = self.model.probabilities_of(feats, (learned.CRISIS, learned.OOS))
            p_crisis = read_first[learned.CRISIS]
            if few_words and p_crisis >= LEARNED_CARE:
                # the short reader may say it is everyday chat (帰りに牛乳買ってきて). It only ever lowers
                # the reading: it knows fewer signs
                p_short = self.short_reader.probability(short_reader_reading(), learned.CRISIS)
                short_read = {learned.CRISIS: round(p_crisis, 2), "short": round(p_short, 2)}
                if p_short < LEARNED_SHORT_CHAT:
                    p_crisis = p_short
            if p_crisis >= (LEARNED_CRISIS_SEEN if crisis_seen else LEARNED_CRISIS):
                # which family (harm by someone, a medical emergency, distress): its lines come first
                kind, line_ids = self._family_lines(feats)
                hit = CrisisHit(kind=kind, terms=(f"{learned.CRISIS}{p_crisis:.2f}",), line_ids=line_ids)
        # some sign of a crisis, not enough to put the crisis lines first: they come with the answer
        care = self._family_lines(feats)[1] if hit is None and p_crisis >= LEARNED_CARE else ()
        vocab = self.index.postings
        toks = analysis.tokens
        # content nouns, without numbers and their counters (高1, 1ヶ月: ages and durations are cues)
        nouns = [t.norm for i, t in enumerate(toks) if t.pos == "名詞" and len(t.surface) >= 2 and not t.adverbial
                 and not any(ch.isdigit() for ch in t.surface)
                 and not (i and any(ch.isdigit() for ch in toks[i - 1].surface))
                 and not self.expander.is_light(t.norm)]
        foreign = tuple(dict.fromkeys(n for n in nouns if n not in vocab and n not in self.expander.word_groups))
        known_nouns = len({n for n in nouns if n in vocab or n in self.expander.word_groups})
        # typos matter when little matched and some word is unknown (ﾎｲｸｴﾝ, 保育えん)
        if foreign and len(text) <= FUZZY_TEXT and max(scored.totals.values(), default=0.0) < FUZZY_BELOW:
            scored = self.index.add_fuzzy(norm[:MAX_CHARS], scored)
        totals: dict[str, float] = {}
        cue_effects: dict[str, str] = {}
        for sid in self.routable:
            s = scored.totals.get(sid, 0.0)
            if s <= 0:
                continue
            fit = self.cues.fit(found, self.services[sid])
            if fit > 0:
                if AGE_EVIDENCE > 0 and found.stated_ages and self.age_ranges.get(sid) is not None:
                    # a desk defined by an age range, and a stated age inside it: that is evidence
                    s += AGE_EVIDENCE
                    # with several people named (80代の父と35歳の兄) the age tells one person's need
                    # apart, and counts for a second need; otherwise it is a cue only
                    several = found.people >= 2 or len(found.stated_ages) >= 2
                    scored.contrib.setdefault(sid, {})[AGE_PERSON if several else AGE_TERM] = AGE_EVIDENCE
                s *= 1 + CUE_BONUS
                cue_effects[sid] = "fits"
            elif fit < 0:
                s *= CUE_MALUS if fit <= -1 else STAGE_MALUS
                cue_effects[sid] = "does not fit"
            totals[sid] = s
        participation = bool(lit["part"])
        if participation:   # a helper or joiner: desks whose own words speak of taking part come first
            for sid in totals:
                if sid in self.participatory:
                    totals[sid] *= 1 + PARTICIPATION_BONUS
                    cue_effects[sid] = cue_effects.get(sid, "") + " takes part"
        # desks whose name says they visit (アウトリーチ, 訪問支援) are for those who ask for a visit
        visit = bool(lit["visit"])
        if visit:   # asking for a visit is itself evidence for the desks that visit
            for sid in self.visiting:
                if totals.get(sid, 0.0) <= 0:
                    continue          # a visit alone (父が病院に行こうとしない) names no visiting desk
                totals[sid] = totals[sid] + VISIT_EVIDENCE
                scored.contrib.setdefault(sid, {})["「訪問」"] = VISIT_EVIDENCE
        for sid in totals:
            if sid in self.visiting:
                totals[sid] *= (1 + VISIT_BONUS) if visit else VISIT_MALUS
                cue_effects[sid] = cue_effects.get(sid, "") + (" visit asked" if visit else " no visit asked")
        ranked = sorted(totals.items(), key=lambda x: (-x[1], self.routable.index(x[0])))
        if visit and len(ranked) > 1 and ranked[0][0] not in self.visiting:
            ranked = self._visit_first(ranked)
        contrib = {sid: scored.contrib.get(sid, {}) for sid in totals}
        for sid in contrib:   # keep the explaining-away stage consistent with the adjusted totals
            raw = sum(contrib[sid].values())
            if raw > 0 and abs(raw - totals[sid]) > 1e-9:
                f = totals[sid] / raw
                contrib[sid] = {t: c * f for t, c in contrib[sid].items()}
        oos = tuple(dict.fromkeys(lit["oos"]))
        errands = _one_per_place(lit["oos_at"])   # ゴミの日 read as ごみの日 too, 粗大 inside 粗大ごみ: one errand
        vague = tuple(dict.fromkeys(lit["vague"]))
        best = ranked[0][0] if ranked else None
        strong = sum(c for t, c in contrib.get(best, {}).items() if not self.expander.is_light(t)) if best else 0.0
        light_only = best is not None and strong <= 0
        # the learned model, read only when it can change the outcome: is this a welfare matter at all?
        p_oos = -1.0      # (-1: not asked)
        opens, courtesy_only = self._small_talk(norm, beyond)
        to_talk = any(t.norm in self.asking_words for t in toks)    # 相談したい, 話せますか
        if self.model is not None and hit is None and strong < self.params.learned_keep:
            feats = model_reading()
            p_oos = read_first[learned.OOS] if read_first else self.model.probability(feats, learned.OOS)
            if few_words and not opens and beyond >= LEARNED_CRISIS_CONTENT and not to_talk:
                # a few words, not an opener, a one-word answer or a wish to talk (the conversation asks
                # about those): the short reader knows chat meant for someone else (部活終わったら迎えに来て)
                # better than the main one. The surer of the two that it is no welfare matter decides
                p_short_oos = self.short_reader.probability(short_reader_reading(), learned.OOS)
                short_read = {**short_read, f"short {learned.OOS}": round(p_short_oos, 2)}
                p_oos = max(p_oos, p_short_oos)
        signals = Signals(hit is not None, errands, vague, age_known=bool(found.ages or found.stages),
                          light_only=light_only, strong=strong, short_topic=len(norm) <= SHORT_TOPIC,
                          participation=participation, foreign=foreign,
                          short=len(norm) <= SHORT,
                          compare=any(w in text for w in self.compare_words), known_nouns=known_nouns,
                          p_oos=p_oos, elder_age=self._elder_age(text, found), told_past=frozenset(told_past),
                          stated=found.stated_ages, people=found.people,
                          wish=any(t.norm in self.wish_words for t in toks),
                          asks=to_talk or opens,
                          courtesy_only=courtesy_only and english is None,
                          serves=self._serves(found, ranked),
                          concept=any(t.startswith(SYN) and t in vocab and not self.expander.is_light(t) for t in terms),
                          one_topic=any(m in text for m in self.topic_markers) and self._one_topic(ranked, contrib))

        def decided(sig: Signals) -> Decision:
            return decide(ranked, contrib, sig, self.params, self.fields, self.age_ranges, self.key_terms,
                          conditions=self.conditions, open_desks=self.open_desks, joint=self.participatory)
        d = decided(signals)
        learned_view: dict[str, float] = {}
        # declined by the words (an errand word beside the need: ゴミの集積所, 修学旅行; or nouns no desk
        # knows: 地震, 回覧板): when the learned model reads a welfare matter and is sure of one of the
        # first desks the words found, the message is decided again without those words. No inquiry is
        # turned away for the errand it mentions
        if self.model is not None and d.outcome is Outcome.OUT_OF_SCOPE and d.by_words and hit is None \
                and english is None and LEARNED_RESCUE_DESK < 1 and d.order:
            feats = model_reading()
            candidates = d.order[:LEARNED_PICK_TOP]
            ps = self.model.probabilities_of(feats, (*candidates, learned.OOS))
            if ps[learned.OOS] < LEARNED_RESCUE_OOS and max(ps[s] for s in candidates) >= LEARNED_RESCUE_DESK:
                again = decided(dataclasses.replace(signals, out_of_scope=(), foreign=()))
                if again.outcome is not Outcome.OUT_OF_SCOPE:
                    d = dataclasses.replace(again, reason=again.reason + f"; not declined: the learned model reads a "
                                                                         f"welfare matter ({ps[learned.OOS]:.2f})")
                    learned_view.update(ps)
        if self.model is not None and d.outcome is Outcome.ROUTE and d.second and LEARNED_NEED < 1:
            # the words found a second need short of the bar (80歳の母 … 55歳の兄は無職): the learned
            # model, trained on labelled several-need inquiries, decides whether both are needed
            sid, rest = max(d.second.items(), key=lambda x: x[1])
            if rest >= LEARNED_NEED_MIN:
                feats = model_reading()
                first = d.order[0]
                learned_view = self.model.probabilities_of(feats, (first, sid))
                if min(learned_view.values()) >= LEARNED_NEED:
                    needs = (first, sid)
                    d = dataclasses.replace(d, outcome=Outcome.MULTI, needed=needs, plain=False,
                                            order=needs + tuple(x for x in d.order if x not in needs),
                                            reason="independent needs; the learned model confirmed the second")
        if self.model is not None and hit is None and (d.outcome in (Outcome.ROUTE, Outcome.MULTI) or d.close):
            feats = model_reading()
            d, view = learned_second_look(self.model, d, feats, self.fields, self.participatory, self.visiting,
                                          self.open_desks, ask_back=english is None)
            learned_view.update(view)
        order = list(d.order)
        if d.outcome is Outcome.CLARIFY and len(order) < 2:
            order += [sid for sid in self._default_choices() if sid not in order]
        matches = tuple(Match(sid, self.services[sid].name, _scale(totals.get(sid, 0.0))) for sid in order[:5])
        explanation = {
            "normalised": norm if norm != text else None,
            "reason": d.reason,
            "terms": {sid: self._top_terms(contrib.get(sid, {})) for sid in order[:3] if sid in contrib},
            "synonyms": sorted(t[1:] for t in terms if t.startswith(SYN)),
            "cues": {"ages": [list(a) for a in found.ages], "stages": list(found.stages),
                     "about": found.about, "words": list(found.words), "effect": cue_effects},
            "out_of_scope_words": list(oos),
            "vague_words": list(vague),
            "visit_words": list(dict.fromkeys(lit["visit"])),
            "unknown_words": list(foreign),
        }
        if feats:   # the learned model's view: P(no welfare matter), and of the two desks it compared
            explanation["learned"] = {**({learned.OOS: round(p_oos, 2)} if p_oos >= 0 else {}),
                                      **{c: round(p, 2) for c, p in learned_view.items()}}
        if hit is not None:
            explanation["crisis_terms"] = list(hit.terms)
        if doubted:
            explanation["crisis_set_aside"] = doubted
        if care:
            explanation["care"] = {learned.CRISIS: round(p_crisis, 2)}
        if short_read:   # a message of a few words, read by both readers
            explanation["short_reader"] = short_read
        if d.second:
            explanation["second_need"] = d.second
        language = "ja"
        if english is not None:
            language, text = "en", norm[:MAX_CHARS]      # the result holds what was written
            explanation["english"] = english
        offered = self.offers if d.outcome is Outcome.MULTI else ()
        return RoutingResult(text=text, outcome=d.outcome, matches=matches, needed=d.needed, crisis=hit,
                             offered=offered, explanation=explanation, language=language, care=care,
                             no_need=d.outcome is Outcome.OUT_OF_SCOPE and signals.courtesy_only)

    def _family_lines(self, feats: learned.Reading) -> tuple[str, tuple[str, ...]]:
        """The crisis family the learned reader names: its first kind, and the crisis lines to show.
        Unsure of the family (a farewell read as harm by someone, 0.2 against 0.02), every family's
        lines take turns, the likeliest first, so each is among the first shown."""
        fams = self.crisis_families
        if not fams:
            return "general", self.screener.lines_for(("general",))
        fam_classes = [learned.family_class(i) for i in range(len(fams))]
        ps = self.model.probabilities_of(feats, fam_classes)
        ranked = sorted(range(len(fams)), key=lambda i: -ps[fam_classes[i]])
        line_ids = self.crisis_family_lines[ranked[0]]
        if len(ranked) > 1:
            p1, p2 = ps[fam_classes[ranked[0]]], ps[fam_classes[ranked[1]]]
            if p1 < LEARNED_FAMILY_SURE or p1 - p2 < LEARNED_FAMILY_MARGIN:
                line_ids = _take_turns(*(self.crisis_family_lines[i] for i in ranked))
        return fams[ranked[0]][0], line_ids

    def _kana_terms(self, norm: str) -> tuple[dict[str, float], list[str]]:
        """For text written mostly in kana (やちんがはらえなくて): the words whose reading it holds,
        and the written forms of the phrases read."""
        if not norm or sum(1 for ch in norm if "\u3041" <= ch <= "\u30ff") < KANA_SHARE * len(norm):
            return {}, []
        hira = to_hiragana(norm.replace(" ", ""))
        out: dict[str, float] = {}
        phrases: list[str] = []
        taken_until = -1
        for i, reading, (written, bag) in self.kana_index.finditer(hira):
            if i < taken_until:
                continue
            taken_until = i + len(reading)
            phrases.append(written)
            for t, w in bag.items():
                out[t] = max(out.get(t, 0.0), KANA_WEIGHT * w)
        return out, phrases

    def _serves(self, found, ranked) -> dict[str, frozenset[int]]:
        """For a message that names several people by age or life stage: which of them each ranked desk
        fits (by its own age range and life stages). Empty for one person."""
        if len(found.ages) + len(found.stages) < 2:
            return {}
        top = [sid for sid, _s in ranked[:5]]
        if len({f for sid in top for f in self.fields[sid]}) == sum(len(self.fields[sid]) for sid in top):
            return {}      # no two of them share a field: nothing for this to decide
        stated = set(found.stated_ages)
        items = [Found((a,), (), found.about, (), (a,) if a in stated else (), 1) for a in found.ages]
        items += [Found((), (st,), found.about, (), (), 1) for st in found.stages]
        return {sid: frozenset(i for i, it in enumerate(items) if self.cues.fit(it, self.services[sid]) > 0)
                for sid in top}

    def _elder_age(self, text: str, found) -> int:
        """The parent generation alone is named (父, 叔母) and no age is stated: at least this old."""
        roles = self.elder_roles
        if not roles or found.stated_ages or not any(w in text for w in roles[1]) \
                or any(w in text for w in roles[2]):
            return 0
        return roles[0]

    def _visit_first(self, ranked: list[tuple[str, float]]) -> list[tuple[str, float]]:
        """A visit asked for: the desk that visits comes before its sibling that does not (the same
        age range, close behind), since the family has said the person will not come to a desk."""
        sid, top = ranked[0]
        for i, (other, s) in enumerate(ranked[1:], 1):
            if other in self.visiting and s >= VISIT_SIBLING * top and \
                    self.age_ranges.get(other) == self.age_ranges.get(sid) is not None:
                return [ranked[i], *ranked[:i], *ranked[i + 1:]]
        return ranked

    def _one_topic(self, ranked: list[tuple[str, float]], contrib: Mapping[str, Mapping[str, float]]) -> bool:
        """True when the best desk's evidence is a single word (not light, not an age) that the next
        desk scores on too: 働くことで相談したい names a topic, not a desk."""
        if len(ranked) < 2:
            return False
        words = {t.strip("~「」") for t in contrib.get(ranked[0][0], {})
                 if not t.startswith(SYN) and t not in (AGE_TERM, AGE_PERSON) and not self.expander.is_light(t)}
        if len(words) != 1:
            return False
        other = {t.strip("~「」") for t in contrib.get(ranked[1][0], {}) if not t.startswith(SYN)}
        return words <= other

    @staticmethod
    def _top_terms(c: Mapping[str, float], n: int = 6) -> dict[str, float]:
        return {t: round(v, 2) for t, v in sorted(c.items(), key=lambda x: -x[1])[:n]}

    def _default_choices(self) -> list[str]:
        """One routable desk per field, in catalogue order: the choices when nothing is known."""
        seen: set[str] = set()
        out: list[str] = []
        for sid in self.routable:
            fs = [f for f in self.services[sid].fields if f not in seen]
            if fs:
                seen.update(fs)
                out.append(sid)
        return out[:5]


def _service_fields(svc: Service) -> dict[str, list[str]]:
    return {
        "name": [svc.name],
        "aliases": list(svc.aliases),
        "keywords": list(svc.keywords),
        "description": [svc.description],
        "eligibility": [svc.eligibility_description] if svc.eligibility_description else [],
        "examples": list(svc.examples),
    }


def _conditions(words, normalise: Normaliser, tok: Tokeniser, expander: Expander) -> frozenset[str]:
    """The condition words as the scorer sees them: the written form, the Sudachi normalized form of a
    one-word condition and the heads of their synonym groups."""
    out: set[str] = set()
    for w in words:
        nw = normalise(w)
        out.add(nw)
        an = tok.analyse(nw)
        if len(an.tokens) == 1:
            out.add(an.tokens[0].norm)
        out.update(t[1:] for t in expander.terms(an, nw) if t.startswith(SYN))
    return frozenset(out)


_DEFAULT = object()


def _elder_roles(data, normalise: Normaliser) -> tuple:
    if not data:
        return ()
    return (int(data["min_age"]), tuple(normalise(w) for w in data["words"]),
            tuple(normalise(w) for w in data.get("other_people", ())))


_KATA = re.compile(r"[\u30a1-\u30faー]")
_KATA_MESSAGE = re.compile(r"[^\u3041-\u309f\u3400-\u9fff々]*")   # no hiragana, no kanji


def _take_turns(*lists: Sequence[str]) -> tuple[str, ...]:
    """The lists in turns, the first's first (a1 b1 c1 a2 b2 …), each id once."""
    out: list[str] = []
    for i in range(max(map(len, lists), default=0)):
        for seq in lists:
            if i < len(seq) and seq[i] not in out:
                out.append(seq[i])
    return tuple(out)


def _inside_katakana(text: str, a: int, b: int) -> bool:
    """``text[a:b]``, written in katakana, is part of a longer katakana word (ダンス in ソウダンスル)."""
    if not all(_KATA.match(ch) for ch in text[a:b]):
        return False
    return (a > 0 and bool(_KATA.match(text[a - 1]))) or (b < len(text) and bool(_KATA.match(text[b])))


def _one_per_place(found: Sequence[tuple[int, int, int, str]]) -> tuple[str, ...]:
    """The words found at overlapping places of one stream count once (the longest speaks for them)."""
    out: list[str] = []
    last: tuple[int, int] | None = None     # (stream, end) of the current group
    for stream, a, b, word in sorted(found, key=lambda f: (f[0], f[1], -(f[2] - f[1]))):
        if last is not None and stream == last[0] and a < last[1]:
            last = (stream, max(last[1], b))
            continue
        out.append(word)
        last = (stream, b)
    return tuple(dict.fromkeys(out))


def build_router(catalogue: Catalogue, tokeniser: Tokeniser | None = None, model=_DEFAULT,
                 short_reader=_DEFAULT) -> Router:
    """Builds everything once: dictionary, lexicons with readings, synonym table, BM25 index, and
    the learned weights when they were trained for this catalogue (``model=None``: without them).
    The short crisis reader comes with the default model; with a model given, only when given too."""
    tok = tokeniser if tokeniser is not None else shared_tokeniser()
    normalise = Normaliser(routing_data.load("normalise")["replace"], Glossary(routing_data.load("english")["words"]))

    def read(t: str) -> str:
        return tok.analyse(t).reading

    lines = [LineRef(ln.id, tuple(ln.kinds), _verified(ln), ln.priority) for ln in catalogue.crisis_lines]
    screener = CrisisScreen(routing_data.load("crisis"), normalise, read, lines)
    expander = Expander.build(routing_data.load("synonyms"), normalise, tok.analyse)
    if catalogue.meta.city:   # the city's own name says nothing about which desk (富士市の天気)
        city = normalise(catalogue.meta.city)
        extra = {city, *(t.norm for t in tok.analyse(city).tokens)}
        expander = dataclasses.replace(expander, stop=expander.stop | extra)

    docs: list[Doc] = []
    phrases: dict[str, dict[str, float]] = {}
    for svc in catalogue.services:
        if not svc.routable:
            continue
        bags = []
        key: set[str] = set()
        for fname, texts in _service_fields(svc).items():
            w = FIELD_WEIGHTS[fname]
            for t in texts:
                nt = normalise(t)
                an = tok.analyse(nt)
                bag = expander.terms(an, nt)
                declared = fname in ("name", "aliases", "keywords")
                words = {tk.norm for tk in an.tokens if tk.norm in bag}
                if declared and fname != "name" and len(words) > 1:
                    # a phrase keyword (家を出され) is evidence as a whole (the phrase bonus);
                    # its single words weigh less than a keyword of their own, and are not declared
                    bags.append({k: v * w * PHRASE_PART for k, v in bag.items()})
                else:
                    bags.append({k: v * w for k, v in bag.items()})
                    if declared:
                        key.update(bag)
                if fname in ("name", "aliases", "keywords") and len(nt) >= 2:
                    phrases.setdefault(nt, {})[svc.id] = 1.0
        tf = merge(bags)
        docs.append(Doc(svc.id, tf, sum(tf.values()), frozenset(key)))
    # readings of every keyword, alias, name and synonym, for inquiries written in kana
    kana: dict[str, tuple[str, dict[str, float]]] = {}
    words = set(phrases) | set(expander.word_groups) | set(expander.phrase_groups)
    for w in sorted(words, key=lambda x: (-len(x), x)):
        an = tok.analyse(w)
        reading = to_hiragana(an.reading)
        if len(reading) >= 3 and reading != w and reading not in kana:
            kana[reading] = (w, expander.terms(an, w))
    # a phrase shared by many desks says little: weight it by 1/number of desks
    phrases = {p: {sid: 1.0 / len(s) for sid in s} for p, s in phrases.items()}
    index = Index(docs, phrases)
    scope = routing_data.load("scope")
    routable = tuple(s.id for s in catalogue.services if s.routable)
    part_words = tuple(dict.fromkeys(normalise(w) for w in scope.get("participation", ())))
    visit_words = tuple(dict.fromkeys(normalise(w) for w in scope.get("visit", ())))
    offers = tuple(s.id for s in catalogue.services if not s.routable and Field_.ZEN in s.fields)
    routable_ids = tuple(s.id for s in catalogue.services if s.routable)
    if short_reader is _DEFAULT:
        short_reader = learned.load_short_model() if model is _DEFAULT else None
        if short_reader is not None and short_reader.catalogue != routable_ids:
            short_reader = None
    if model is _DEFAULT:
        model = learned.load_model()
        if model is not None and model.catalogue != routable_ids:
            model = None      # trained for another catalogue: its classes mean nothing here
    if model is None:
        short_reader = None   # the short reader reads for the main model, never alone
    router = Router(
        model=model, short_reader=short_reader,
        catalogue=catalogue, tokeniser=tok, normalise=normalise, screener=screener, expander=expander,
        index=index, cues=Cues(routing_data.load("cues"), normalise),
        services={s.id: s for s in catalogue.services}, routable=routable, offers=offers,
        fields={s.id: frozenset(str(f) for f in s.fields) for s in catalogue.services},
        kana_index=LiteralIndex(kana.items()),
        age_ranges={s.id: (s.minimum_age, s.maximum_age) if (s.minimum_age, s.maximum_age) != (None, None) else None
                    for s in catalogue.services},
        oos_words=tuple(dict.fromkeys(normalise(w) for w in scope["out_of_scope"])),
        vague_words=tuple(dict.fromkeys(normalise(w) for w in scope["vague"])),
        participation_words=part_words,
        visit_words=visit_words,
        topic_markers=tuple(dict.fromkeys(normalise(w) for w in scope.get("topic_markers", ()))),
        visit_negation=tuple(dict.fromkeys(normalise(w) for w in scope.get("visit_negation", ()))),
        compare_words=tuple(dict.fromkeys(normalise(w) for w in scope.get("compare", ()))),
        conditions=_conditions(routing_data.load("cues").get("conditions", ()), normalise, tok, expander),
        elder_roles=_elder_roles(routing_data.load("cues").get("elder_roles"), normalise),
        history_words=tuple(dict.fromkeys(normalise(w) for w in scope.get("history", ()))),
        wish_words=frozenset(scope.get("wish", ())),
        asking_words=frozenset(scope.get("asking", ())),
        courtesy=alternation(normalise(w) for w in scope.get("courtesy", ())),
        opening=alternation(w for v in scope.get("opening", ()) for w in {normalise(v), to_hiragana(normalise(v))}),
        answers=alternation(normalise(w) for w in scope.get("answers", ())),
        open_desks=frozenset(s.id for s in catalogue.services if s.routable and Field_.ZEN in s.fields),
        visiting=frozenset(
            s.id for s in catalogue.services if s.routable and any(
                w in normalise(" ".join([s.name, *s.aliases])) for w in visit_words)),
        participatory=frozenset(
            s.id for s in catalogue.services if s.routable and any(
                w in normalise(" ".join([s.description, *s.keywords, *s.aliases, *s.examples])) for w in part_words)),
    )
    return_freed_memory()    # the build's temporaries are garbage now: give their pages back
    return router
