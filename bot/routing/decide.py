"""Stage 7: decide. route | multi | clarify | out_of_scope | crisis from scores, cues and vocabulary.

Pure: ``decide(ranked, contrib, signals, params) -> Decision``. A second need is found by
"explaining away": the terms that the best desk accounts for are removed, and what is left must
still clear the bar for another desk.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from bot.routing.result import Outcome


@dataclass(frozen=True)
class Params:
    route_min: float = 2.2          # evidence a desk needs to be routed to
    weak: float = 1.2               # below this a message says nothing about a desk
    oos_override: float = 4.0       # welfare evidence that outweighs out-of-scope words
    multi_min: float = 4.0          # evidence left for a second, independent need
    joint_bar: float = 3.0          # the bar for a second need when both desks are about taking part
    multi_ratio: float = 0.2       # ... and relative to the first need
    close_ratio: float = 0.88       # a second desk this close makes the message ambiguous ...
    close_below: float = 8.0        # ... unless the best desk is this sure
    vague_ratio: float = 0.7        # with vague words ("相談したい"), this close is ambiguous ...
    vague_below: float = 6.0        # ... below this evidence
    age_ratio: float = 0.6          # desks told apart by age, and no age given: this close asks
    own_age_ratio: float = 0.4      # a desk for the stated age this close to a desk for everyone goes first (no ask)
    elder_ratio: float = 0.4        # the parent generation named: a sibling desk this close without the youth limit wins
    share: float = 0.6              # a term belongs to the best desk when it takes this share of it
    own_share: float = 0.8          # ... and is a second desk's own evidence at this share
    max_needs: int = 3
    oos_word: float = 4.0           # what one out-of-scope word weighs against welfare evidence ...
    oos_share: float = 0.4          # ... when it reaches this share of the best desk's own evidence
    foreign_many: int = 3           # this many unknown nouns, and no known one, is someone else's topic
    foreign_min: int = 2            # nouns no desk knows that make a weak message someone else's topic
    multi_words: int = 2            # a second need shows in two words of its own ...
    multi_single: float = 5.0       # ... or in one declared keyword found whole (≈ term + phrase bonus)
    compare_ratio: float = 0.4      # a comparison between desks this close asks which
    topic_ratio: float = 0.4        # a vague ask about one word several desks share: this close asks
    syn_second: float = 0.7         # how much a synonym group's evidence counts for a second need
    learned_oos: float = 0.4        # the learned model says "no welfare matter" at least this sure ...
    learned_keep: float = 16.0      # ... and the best desk's own evidence is under this: decline


@dataclass(frozen=True)
class Signals:
    crisis: bool = False
    out_of_scope: tuple[str, ...] = ()
    vague: tuple[str, ...] = ()
    foreign: tuple[str, ...] = ()            # nouns no desk knows (給湯器, 二次会): the topic is elsewhere
    concept: bool = False                    # a curated welfare concept (≡ひきこもり, ≡生活困窮) was named
    known_nouns: int = -1                    # nouns some desk knows (-1: not counted)
    participation: bool = False              # the writer wants to help or take part (one desk)
    age_known: bool = False                  # an age or life stage was read from the message
    light_only: bool = False                 # the best desk's evidence is only light words (子ども, 相談)
    strong: float = 0.0                      # the best desk's evidence without light words
    short: bool = False                      # a few characters only ("あの", "親のことで")
    short_topic: bool = False                # one short sentence ("赤ちゃんのことで聞きたい")
    compare: bool = False                    # the writer compares desks (AとBって何が違う, どっちに)
    one_topic: bool = False                  # the best desk's evidence is one word that the next desk shares too
    p_oos: float = -1.0                      # the learned model's P(no welfare matter); -1: no model
    elder_age: int = 0                       # only people of the generation above are named (父, 叔母): at least this old
    stated: tuple[tuple[int, int], ...] = () # ages written as numbers (50の兄, 60歳くらい)
    people: int = 0                          # different people named (息子, 母, 隣の人)
    wish: bool = False                       # the message asks for something (働きたい, 探してる)
    asks: bool = False                       # the message asks to talk (相談のってほしい, お伺いしたい)
    courtesy_only: bool = False              # nothing but courtesy (ありがとうございました、また連絡します)
    told_past: frozenset[str] = frozenset()  # terms of a keyword told as a past (バイトも辞めて): no second need
    serves: Mapping[str, frozenset[int]] = field(default_factory=dict)   # desk -> the people named that it fits


@dataclass(frozen=True)
class Decision:
    outcome: Outcome
    order: tuple[str, ...]                  # service ids, what to show first
    needed: tuple[str, ...] = ()
    reason: str = ""
    second: dict[str, float] = field(default_factory=dict)
    plain: bool = False                     # route to the best-scored desk, no rule chose it
    close: bool = False                     # clarify: the words found desks but cannot tell them apart (too
                                            # close to call, or only general words): the model may decide
    by_words: bool = False                  # out_of_scope: declined for an errand word or nouns no desk knows


def _best(contrib: Mapping[str, Mapping[str, float]]) -> dict[str, float]:
    best: dict[str, float] = {}
    for terms in contrib.values():
        for t, c in terms.items():
            if c > best.get(t, 0.0):
                best[t] = c
    return best


def _key(t: str, sid: str, key: Mapping[str, frozenset[str]] | None) -> bool:
    """A term the desk's catalogue entry declares (name, aliases, keywords), or a phrase found whole.
    Without key terms (pure tests) every term counts."""
    return key is None or t.startswith(("「", "~「")) or t in key.get(sid, frozenset())


def _remaining(sid: str, owned: set[str], contrib: Mapping[str, Mapping[str, float]],
               best: Mapping[str, float], share: float, syn: float = 0.0,
               key: Mapping[str, frozenset[str]] | None = None) -> float:
    """Evidence that is this desk's own: its declared words that it scores best on, not taken by a
    need already found."""
    return sum(c * (syn if t.startswith("≡") else 1.0) for t, c in contrib.get(sid, {}).items()
               if t not in owned and c >= share * best[t] and _key(t, sid, key))


def _base(term: str) -> str:
    return term.strip("~「」≡")


def _owned_terms(sid: str, contrib: Mapping[str, Mapping[str, float]], share: float,
                 best: Mapping[str, float]) -> set[str]:
    """The terms for which ``sid`` is (nearly) the best-scoring desk (``best``: ``_best(contrib)``)."""
    return {t for t, c in contrib.get(sid, {}).items() if c >= share * best[t]}


def _fits(rng: tuple[int, int] | None, age: tuple[int, int]) -> bool:
    """An age range (None: no limit; None at an end: open) holds some of the stated ages."""
    if rng is None:
        return True
    lo, hi = rng
    return (lo is None or age[1] >= lo) and (hi is None or age[0] <= hi)


def _same_words(a: str, b: str, contrib: Mapping[str, Mapping[str, float]]) -> bool:
    """True when b's evidence is mostly the same words as a's (neighbours, not two needs)."""
    ca, cb = contrib.get(a, {}), contrib.get(b, {})
    shared = sum(c for t, c in cb.items() if t in ca)
    return shared >= 0.85 * sum(cb.values()) if cb else False


def decide(ranked: Sequence[tuple[str, float]], contrib: Mapping[str, Mapping[str, float]],
           signals: Signals, p: Params = Params(),
           fields: Mapping[str, frozenset[str]] | None = None,
           ages: Mapping[str, tuple[int, int] | None] | None = None,
           key: Mapping[str, frozenset[str]] | None = None,
           conditions: frozenset[str] = frozenset(), open_desks: frozenset[str] = frozenset(),
           joint: frozenset[str] = frozenset()) -> Decision:
    """Decides the outcome. ``fields`` (service id -> 分野) keeps two desks of one field from
    counting as two needs: neighbours share words, independent needs do not share a field.
    ``conditions`` (a person's condition: 障害, うつ, 病気) are no second need beside a desk of
    ``open_desks`` (the catalogue's desks for everyone, field 全)."""
    fields = fields or {}
    ages = ages or {}
    order = tuple(sid for sid, s in ranked if s > 0)
    top = ranked[0][1] if ranked else 0.0
    if signals.crisis:
        needed = tuple(sid for sid, s in ranked[:2] if s >= p.route_min and s >= 0.6 * top)
        return Decision(Outcome.CRISIS, order, needed, "crisis lexicon")
    # thanks or a goodbye and nothing else: no need is said (the conversation layer answers it kindly)
    if signals.courtesy_only:
        return Decision(Outcome.OUT_OF_SCOPE, order, (), "courtesy only: no need said")
    # the learned model (trained on labelled inquiries) is sure this is a city errand, a class, an event:
    # declined unless a desk's own words say otherwise
    if signals.p_oos >= p.learned_oos and signals.strong < p.learned_keep:
        return Decision(Outcome.OUT_OF_SCOPE, order, (), f"the learned model: no welfare matter ({signals.p_oos:.2f})")
    # out-of-scope words weighed against the welfare evidence (before vagueness: 野良猫で困って is
    # someone else's business, not a vague welfare need)
    oos_weight = p.oos_word * len(signals.out_of_scope)
    if signals.out_of_scope and (top < p.oos_override * (1 + 0.5 * (len(signals.out_of_scope) - 1))
                                 or oos_weight >= p.oos_share * signals.strong):
        return Decision(Outcome.OUT_OF_SCOPE, order, (), f"out-of-scope words, welfare score {top:.2f}",
                        by_words=True)
    if (signals.light_only or 0 < signals.strong < p.weak) and top < p.vague_below:
        if signals.vague or signals.short:
            # the words name a topic (子ども, 家族) but not which desk: the learned model may tell (close)
            return Decision(Outcome.CLARIFY, order, (), "only general words (子ども, 家族, 相談)", close=True)
    # the message is about several nouns no desk knows and none that a desk knows: someone else's topic
    if len(signals.foreign) >= p.foreign_many and signals.known_nouns == 0 and signals.strong < p.oos_override:
        return Decision(Outcome.OUT_OF_SCOPE, order, (), f"about something else: {', '.join(signals.foreign[:3])}",
                        by_words=True)
    if top < p.route_min:
        # asks to talk and says nothing a desk knows, no errand named (相談いいですか, お伺いしたいことが
        # あるのですが): a front desk asks what it is about, whatever unknown nouns it holds (電話, 相談員)
        if signals.asks and top < p.weak * 1.5:
            return Decision(Outcome.CLARIFY, order, (), f"asks to talk, says not what about ({top:.2f})")
        if (len(signals.foreign) >= p.foreign_min and top < p.weak * 1.5) or (signals.foreign and top < p.weak):
            return Decision(Outcome.OUT_OF_SCOPE, order, (), f"about something else: {', '.join(signals.foreign[:3])}",
                            by_words=True)
        if signals.vague or signals.short:
            return Decision(Outcome.CLARIFY, order, (), f"too vague ({top:.2f})")
        if top < p.weak * 1.5 and not signals.concept:   # a welfare concept named (ひきこもり) is a need
            return Decision(Outcome.OUT_OF_SCOPE, order, (), f"no welfare need ({top:.2f})")
        return Decision(Outcome.CLARIFY, order, (), f"weak evidence {top:.2f}")

    # a comparison (AとBって何が違う, どっちに) is one question about two desks, not two needs: ask which
    if signals.compare and len(ranked) > 1 and ranked[1][1] >= p.compare_ratio * top:
        return Decision(Outcome.CLARIFY, order, (), f"compares desks: {ranked[1][1] / top:.2f}")

    # several independent needs?
    needs = [ranked[0][0]]
    best = _best(contrib)
    owned = _owned_terms(ranked[0][0], contrib, p.share, best)
    owned |= signals.told_past
    if ranked[0][0] in open_desks:
        # a desk open to everyone whatever their condition (障害・病気等の理由を問わない) is the need;
        # the condition named beside it (うつで休職して, 障害があるけど働きたい) is context, not a second need
        owned |= {t for terms in contrib.values() for t in terms if _base(t) in conditions}
    second: dict[str, float] = {}
    # one age stated, and a desk made for that age is needed: a desk for everyone (work, a visit) is
    # that same person's matter, not a second need (息子(26)が家に … 就職の話をすると怒る)
    own_age = len(signals.stated) == 1 and ages.get(needs[0]) is not None \
        and _fits(ages.get(needs[0]), signals.stated[0])
    while len(needs) < p.max_needs and not signals.participation:
        used = frozenset().union(*(fields.get(n, frozenset()) for n in needs))
        served = frozenset().union(*(signals.serves.get(n, frozenset()) for n in needs))
        # a desk of a field already needed is a second need only for another person the message names
        # (妊娠中 … 上の子（5歳）: the baby's desk and the older child's)
        left = sorted(((sid, _remaining(sid, owned, contrib, best, p.own_share, p.syn_second, key)) for sid, s in ranked
                       if sid not in needs and not (own_age and sid in open_desks)
                       and (not (fields.get(sid, frozenset()) & used)
                            or (served and signals.serves.get(sid, frozenset()) - served))),
                      key=lambda x: -x[1])
        if not left:
            break
        sid, rest = left[0]
        second[sid] = round(rest, 3)
        # two desks of taking part (a class, a salon, the area's activities): one activity, unless the
        # second shows clearly on its own words
        bar = p.multi_min * (p.joint_bar if needs[0] in joint and sid in joint else 1.0)
        words = {t.strip("~「」≡") for t, c in contrib.get(sid, {}).items()
                 if t not in owned and (p.syn_second > 0 or not t.startswith("≡")) and c >= p.own_share * best[t]
                 and _key(t, sid, key)}
        enough = len(words) >= p.multi_words or rest >= p.multi_single
        if rest >= bar and rest >= p.multi_ratio * top and enough:
            needs.append(sid)
            owned |= _owned_terms(sid, contrib, p.share, best)
        else:
            break
    if len(needs) > 1:
        rest_order = tuple(s for s in order if s not in needs)
        return Decision(Outcome.MULTI, tuple(needs) + rest_order, tuple(needs), "independent needs", second)

    if len(ranked) > 1:
        ratio = ranked[1][1] / top
        a, b = ranked[0][0], ranked[1][0]
        # 父が部屋から出ない: a desk whose age range ends below the parent generation does not fit,
        # when its neighbour (same field or same words) has no such limit
        ra, rb = ages.get(a), ages.get(b)
        if signals.elder_age and ra is not None and ra[1] is not None and ra[1] < signals.elder_age \
                and (rb is None or rb[1] is None or rb[1] >= signals.elder_age) and ratio >= p.elder_ratio \
                and (bool(fields.get(a, frozenset()) & fields.get(b, frozenset())) or _same_words(a, b, contrib)):
            return Decision(Outcome.ROUTE, (b, a) + order[2:], (b,), f"the parent generation: {b}, not {a}", second)
        # two desks of one kind told apart by age (visits for 15-39 and for everyone): the one age the
        # message states chooses, even when it names other people too (50の兄 … 母が亡くなって)
        if len(signals.stated) == 1 and ra != rb and ratio >= p.elder_ratio and not _fits(ra, signals.stated[0]) \
                and _fits(rb, signals.stated[0]) \
                and (bool(fields.get(a, frozenset()) & fields.get(b, frozenset())) or _same_words(a, b, contrib)):
            return Decision(Outcome.ROUTE, (b, a) + order[2:], (b,), f"the stated age: {b}, not {a}", second)
        # a desk for everyone first, and close behind it the desk made for the one age the message
        # states: when the message only tells the situation (30歳、職歴なし), that age's desk goes first;
        # a concrete ask (仕事を探したい) stays with the desk for everyone
        if len(signals.stated) == 1 and a in open_desks and ra is None and rb is not None \
                and _fits(rb, signals.stated[0]) and not signals.wish and ratio >= p.own_age_ratio:
            return Decision(Outcome.ROUTE, (b, a) + order[2:], (b,), f"the stated age's own desk: {b}", second)
        age_decided = signals.age_known and ages.get(a) != ages.get(b)   # the stated age chose between them
        if ratio >= p.close_ratio and top < p.close_below and not age_decided:
            return Decision(Outcome.CLARIFY, order, (), f"close: {ratio:.2f} of the best", second, close=True)
        # a keyword of the best desk found whole, that the next one does not declare, names the desk
        # (母の介護のことで: 「介護」 is 包括's word; 介護予防 only holds it)
        own_phrase = bool({t for t in contrib.get(a, {}) if t.startswith("「")} -
                          {t for t in contrib.get(b, {}) if t.startswith("「")})
        if signals.vague and ratio >= p.vague_ratio and (top < p.vague_below or signals.short_topic) \
                and not (own_phrase and ratio < p.close_ratio):
            return Decision(Outcome.CLARIFY, order, (), f"vague and close: {ratio:.2f}", second, close=True)
        # 障害のある家族のことで, 働くことについて: one topic word several desks share; a desk's own word found
        # whole names it only when the message also says whom it is about (母の介護のことで: an older person)
        if signals.vague and signals.one_topic and ratio >= p.topic_ratio and not (own_phrase and signals.age_known):
            return Decision(Outcome.CLARIFY, order, (), f"vague and close: {ratio:.2f}", second, close=True)
        if not signals.age_known and ratio >= p.age_ratio and ages.get(a) != ages.get(b) \
                and (bool(fields.get(a, frozenset()) & fields.get(b, frozenset())) or _same_words(a, b, contrib)):
            return Decision(Outcome.CLARIFY, order, (), f"told apart by age, none given: {ratio:.2f}", second, close=True)
    return Decision(Outcome.ROUTE, order, (order[0],), "one clear desk", second, plain=True)
