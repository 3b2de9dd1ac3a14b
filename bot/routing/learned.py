"""A small learned component: one-vs-rest logistic regression over the router's own reading.

The word lists say what a desk is about; they cannot weigh the many ordinary words that tell a city
errand (教室の申し込み, 住民票) from a welfare need, or two neighbouring desks apart. This model does,
from labelled inquiries: the catalogue's own examples, the golden *dev* lines and the probe lines of
``data/learned_extra.tsv``, the ``train-*`` probe files of tests/data/probes and the crisis screen's
probe lines (never the held-out lines, never the ``blind-*`` probe files).

Features are what the router has already computed for an inquiry — its expanded terms (normalized
forms, sub-words, synonym groups ``≡X``), the character bigrams of the text that hold a kanji or a
katakana, and the cues (age bands, life stages, about whom, a visit asked, taking part, out-of-scope
and vague words) — so inference is a dictionary walk in pure Python (tens of microseconds).

Classes are the catalogue's routable service ids plus ``OOS`` (not a welfare matter), ``CRISIS``
(life or safety at risk now, for messages in which the crisis lexicon reads no word at all), one class
per crisis family and ``VAGUE`` (a front desk would ask back: the labelled ``clarify`` lines). The weights are
data: ``data/learned.json``, written by ``python -m bot.routing.learned`` (deterministic), with the
hash of its training data, so a test can tell whether it is fresh. The file is keyed by the catalogue
name and its routable ids: a router built on another catalogue does not use it.

A second model of the same kind, ``data/learned_short.json`` (seventeenth pass), reads a message of at
most ``SHORT_MESSAGE`` letters beside the main one, and may only lower its crisis reading (the router's
``LEARNED_SHORT_CHAT``): it is trained on every training line this short and on the ``short-*`` probe
files (everyday chat, thanks, mis-sends, short needs and short crises), which the main model never
sees. Taught everyday chat, the main model lost crisis lines among long messages, whose indirect signs
are made of the same everyday words (お風呂, 帰る, 連絡); not taught it, it reads 塾終わったら連絡してね
as a crisis. The short reader knows fewer signs (it has seen fewer lines), so it never raises a reading.
"""

from __future__ import annotations

import base64
import hashlib
import json
import math
import random
import re
import sys
from array import array
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

OOS = "∅"                     # the class "not a welfare matter"
CRISIS = "‼"                  # the class "life or safety may be at risk now" (beside the crisis lexicon)
VAGUE = "?"                   # the class "a front desk would ask back" (too vague, or between desks)


def crisis_families() -> tuple[tuple[str, ...], ...]:
    """The crisis kinds by family (data/crisis.yaml ``families``), then every other kind as one more
    family (suicide, self-harm, distress, …): the learned reader says which family, the lines follow."""
    from bot.routing import data as routing_data
    d = routing_data.load("crisis")
    fams = [tuple(f) for f in d.get("families", ())]
    listed = {k for f in fams for k in f}
    return (*fams, tuple(k for k in d["priority"] if k not in listed))


def family_class(i: int) -> str:
    return f"{CRISIS}{i}"


def _family_of(kind: str) -> frozenset[str]:
    for i, fam in enumerate(crisis_families()):
        if kind in fam:
            return frozenset({family_class(i)})
    return frozenset()


def classes_for(catalogue) -> list[str]:
    """The model's classes: routable desks, out-of-scope, crisis, vague and one class per crisis family."""
    return [s.id for s in catalogue.services if s.routable] + [OOS, CRISIS, VAGUE] + \
        [family_class(i) for i in range(len(crisis_families()))]
EPOCHS = 30
L2 = 1e-4
RATE = 0.3
SHORT_MESSAGE = 16            # letters (the "lens" band): a message this short is read for a crisis by
#                               the short reader too, trained on messages this short only
PRUNE = 0.05                  # weights smaller than this are dropped (a feature with none is left out)
FORMAT = 1


_CONTENT = re.compile("[\u4e00-\u9fff\u30a1-\u30faー0-9a-z]")
_KANA = re.compile("[\u3041-\u309f]")
KANA_BIGRAMS = True           # bigrams of hiragana alone (たい, ない, ので): how a thing is asked (tenth pass)
KANA_VALUE = 0.5              # ... each counts half a bigram with a kanji or katakana in it (1.0 made
#                               〜のことで相談したい a question whatever came before it)
KANA_BLIND = (CRISIS,)        # classes (by prefix) that learn nothing from them: the crisis reader and its
#                               families, for thanks and calm words are written in the same hiragana


def age_band(lo: int, hi: int) -> str:
    mid = (lo + hi) / 2
    for edge, name in ((6, "0-5"), (15, "6-14"), (20, "15-19"), (40, "20-39"), (65, "40-64")):
        if mid < edge:
            return name
    return "65+"


def features(text: str, terms: Mapping[str, float], *, ages: Iterable[tuple[int, int]] = (),
             stages: Iterable[str] = (), about: str = "", flags: Iterable[str] = ()) -> dict[str, float]:
    """The model's view of one inquiry (``text`` normalised, ``terms`` from the expander)."""
    f: dict[str, float] = {"bias": 1.0}
    for t, w in terms.items():
        f["t" + t] = w
    n = len(text)
    # bigrams that hold a kanji, katakana, digit or latin letter ("b"), and those of hiragana with none
    # of these ("h": たい, ない, ので); each letter's kind is read once (c: such a letter, h: hiragana)
    kinds = _CONTENT.sub("c", text)
    if KANA_BIGRAMS:
        kinds = _KANA.sub("h", kinds)
    for i in range(n - 1):
        k = kinds[i:i + 2]
        if "c" in k:
            f["b" + text[i:i + 2]] = 1.0
        elif "h" in k:
            f["h" + text[i:i + 2]] = KANA_VALUE
    for lo, hi in ages:
        f["age" + age_band(lo, hi)] = 1.0
    for s in stages:
        f["stage" + s] = 1.0
    if about:
        f["about" + about] = 1.0
    for fl in flags:
        f["flag" + fl] = 1.0
    f["len" + ("s" if n <= 16 else "m" if n <= 60 else "l")] = 1.0
    return f


def _sigmoid(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))


@dataclass(frozen=True, slots=True)
class Reading:
    """One inquiry's features as the model's rows, looked up once for every question asked of it (a
    lookup in the index of tens of thousands of features is most of what a question costs)."""
    pairs: tuple[tuple[int, float], ...]      # (offset of the feature's row in ``weights``, value), in order


@dataclass(frozen=True)
class Model:
    """Weights of a one-vs-rest logistic regression: row ``index[feature]`` of ``weights`` holds one
    weight per class (float32, row-major), so a probability costs one walk over the features."""
    classes: tuple[str, ...]
    index: Mapping[str, int]                  # feature -> row
    weights: Sequence[float]                  # len(index) * len(classes)
    bias: tuple[float, ...]
    catalogue: tuple[str, ...] = ()           # routable ids it was trained for
    data_hash: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "class_index", {c: i for i, c in enumerate(self.classes)})

    def probability(self, feats: Mapping[str, float] | Reading, cls: str) -> float:
        """P(cls | inquiry); 0 for a class the model does not know."""
        return self.probabilities_of(feats, (cls,))[cls]

    def read(self, feats: Mapping[str, float]) -> Reading:
        """The features the model knows, as rows: pass it instead of ``feats`` to ask several questions."""
        k, get = len(self.classes), self.index.get
        return Reading(tuple((row * k, v) for f, v in feats.items() if (row := get(f)) is not None))

    def probabilities_of(self, feats: Mapping[str, float] | Reading, classes: Sequence[str]) -> dict[str, float]:
        """P(cls | inquiry) for these classes, in one walk over the features (0 for unknown classes)."""
        cols = [self.class_index[cls] for cls in classes if cls in self.class_index]
        w = self.weights
        z = [self.bias[c] for c in cols]
        js = range(len(cols))
        for base, v in (feats if isinstance(feats, Reading) else self.read(feats)).pairs:
            for j in js:
                z[j] += w[base + cols[j]] * v
        out = dict.fromkeys(classes, 0.0)
        out.update((self.classes[c], _sigmoid(zj)) for c, zj in zip(cols, z))
        return out

    def probabilities(self, feats: Mapping[str, float]) -> dict[str, float]:
        return self.probabilities_of(feats, self.classes)

    # --- file: JSON metadata and feature names, the weights as base64 float32 (little-endian) --------
    def to_json(self) -> str:
        feats = sorted(self.index, key=self.index.__getitem__)
        arr = array("f", self.weights)
        if sys.byteorder != "little":
            arr.byteswap()
        return json.dumps({"format": FORMAT, "classes": list(self.classes), "catalogue": list(self.catalogue),
                           "data_hash": self.data_hash, "bias": [round(b, 6) for b in self.bias],
                           "features": feats, "weights": base64.b64encode(arr.tobytes()).decode("ascii")},
                          ensure_ascii=False, indent=0) + "\n"

    @classmethod
    def from_json(cls, text: str) -> "Model":
        d = json.loads(text)
        arr = array("f")
        arr.frombytes(base64.b64decode(d["weights"]))
        if sys.byteorder != "little":
            arr.byteswap()
        return cls(tuple(d["classes"]), {f: i for i, f in enumerate(d["features"])}, arr,
                   tuple(d["bias"]), tuple(d.get("catalogue", ())), d.get("data_hash", ""))


def load_model(name: str = "learned.json") -> Model | None:
    try:
        text = resources.files("bot.routing").joinpath("data", name).read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    return Model.from_json(text)


def load_short_model() -> Model | None:
    """The crisis reader for messages of at most ``SHORT_MESSAGE`` letters (data/learned_short.json)."""
    return load_model(SHORT_FILE.name)


# --- training (build time only) ------------------------------------------------------------
def train(rows: Sequence[tuple[Mapping[str, float], frozenset[str], float]], classes: Sequence[str],
          *, epochs: int = EPOCHS, l2: float = L2, rate: float = RATE, seed: int = 0) -> Model:
    """One-vs-rest logistic regression, AdaGrad, fixed order per seed (deterministic).
    ``rows``: (features, positive classes, weight), or with a fourth item, the classes the row speaks
    for (the others learn nothing from it: a crisis probe line says nothing about desks)."""
    k = len(classes)
    every = range(k)
    kana_cols = [c for c in every if not classes[c].startswith(KANA_BLIND)]   # those that read "h" bigrams
    w: dict[str, list[float]] = {}
    g2: dict[str, list[float]] = {}
    b = [0.0] * k
    gb = [1e-8] * k
    order = list(range(len(rows)))
    rnd = random.Random(seed)
    for _ in range(epochs):
        rnd.shuffle(order)
        for i in order:
            feats, pos, weight = rows[i][:3]
            only = rows[i][3] if len(rows[i]) > 3 else None
            s = b[:]
            for f, v in feats.items():
                wf = w.get(f)
                if wf is not None:
                    for c in range(k):
                        s[c] += wf[c] * v
            grad = [0.0] * k
            for c in range(k):
                z = max(-30.0, min(30.0, s[c]))
                p = 1.0 / (1.0 + math.exp(-z))
                y = 1.0 if classes[c] in pos else 0.0
                grad[c] = (p - y) * weight if only is None or classes[c] in only else 0.0
            for c in range(k):
                gb[c] += grad[c] ** 2
                b[c] -= rate * grad[c] / math.sqrt(gb[c])
            for f, v in feats.items():
                wf = w.setdefault(f, [0.0] * k)
                gf = g2.setdefault(f, [1e-8] * k)
                for c in (kana_cols if f[0] == "h" else every):
                    gr = grad[c] * v + l2 * wf[c]
                    if gr:
                        gf[c] += gr * gr
                        wf[c] -= rate * gr / math.sqrt(gf[c])
    kept = sorted(f for f, ws in w.items() if max(abs(x) for x in ws) >= PRUNE)
    flat = array("f", (0.0 if abs(x) < PRUNE else x for f in kept for x in w[f]))
    return Model(tuple(classes), {f: i for i, f in enumerate(kept)}, flat, tuple(b))


def training_rows(router, items: Iterable[tuple[str, frozenset[str], float]]):
    """(features, positives, weight) for labelled texts, read by ``router``."""
    return [(router.learned_features(row[0]), *row[1:]) for row in items]


def labelled(catalogue, golden_items, extra_path: Path | None) -> list[tuple[str, frozenset[str], float]]:
    """The training texts: catalogue examples, golden (dev) lines and the extra probe lines."""
    out: list[tuple[str, frozenset[str], float]] = []
    for svc in catalogue.services:
        if svc.routable:
            out += [(ex, frozenset({svc.id}), 1.0) for ex in svc.examples]
    for it in golden_items:
        out.append(_golden_row(it))
    if extra_path is not None and extra_path.exists():
        for line in extra_path.read_text(encoding="utf-8").splitlines():
            if not line.strip() or line.startswith("#"):
                continue
            text, label = line.split("\t")[:2]
            out.append((text, _extra_label(label), 1.0))
    return out


def _extra_label(label: str) -> frozenset[str]:
    """``out_of_scope``, or service ids separated by commas, where ``crisis`` marks a crisis line."""
    if label == "out_of_scope":
        return frozenset({OOS})
    return frozenset(CRISIS if s == "crisis" else s for s in label.split(",") if s and s != "none")


def _golden_row(it) -> tuple[str, frozenset[str], float]:
    if it.outcome == "out_of_scope":
        return it.text, frozenset({OOS}), 1.0
    if it.outcome in ("route", "multi"):
        return it.text, frozenset(it.services), 1.0
    if it.outcome == "clarify":   # the candidate desks, and: a front desk would ask back
        return it.text, frozenset(it.services) | {VAGUE}, 0.5
    # crisis: the desks that fit, if any, the crisis class and the family of its kind
    return it.text, frozenset(it.services) | {CRISIS} | _family_of(it.crisis_kind), 0.5


def data_hash(texts: Iterable[tuple[str, frozenset[str], float]], extra: str = "") -> str:
    h = hashlib.sha256()
    for text, pos, wt, *only in texts:
        h.update(f"{text}\t{','.join(sorted(pos))}\t{wt}\t{','.join(sorted(only[0])) if only else ''}\n".encode())
    h.update(extra.encode())
    return h.hexdigest()[:16]


DATA_FILE = Path(__file__).parent / "data" / "learned.json"
SHORT_FILE = Path(__file__).parent / "data" / "learned_short.json"
EXTRA_FILE = Path(__file__).parent / "data" / "learned_extra.tsv"
DEV_FILE = Path(__file__).parents[2] / "tests" / "data" / "golden" / "dev.tsv"
PROBES_DIR = Path(__file__).parents[2] / "tests" / "data" / "probes"          # train-*.tsv: golden format
CRISIS_PROBE = Path(__file__).parents[2] / "tests" / "routing" / "data" / "crisis_probe.tsv"


def probe_rows(probes_dir: Path = PROBES_DIR, crisis_probe: Path = CRISIS_PROBE) -> list[tuple]:
    """Training rows from the team's probe files: the ``train-*`` files of tests/data/probes (the
    ``blind-*`` ones are never trained on) and the crisis screen's probe lines (crisis or not, at half
    weight, and for the crisis class only: they say nothing about desks)."""
    import csv

    from bot.routing.evaluate import load_golden
    out: list[tuple[str, frozenset[str], float]] = []
    for path in sorted(probes_dir.glob("train-*.tsv")):
        out += [_golden_row(it) for it in load_golden(path)]
    if crisis_probe.exists():
        crisis_classes = frozenset({CRISIS} | {family_class(i) for i in range(len(crisis_families()))})
        with crisis_probe.open(encoding="utf-8", newline="") as f:
            for r in csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE):
                pos = frozenset({CRISIS}) | _family_of(r["expect"]) if r["expect"] != "none" else frozenset()
                out.append((r["text"], pos, 0.5, crisis_classes))
    return out


def short_probe_rows(probes_dir: Path = PROBES_DIR) -> list[tuple]:
    """Training rows of the ``short-*`` probe files: for the short crisis reader only."""
    from bot.routing.evaluate import load_golden
    return [_golden_row(it) for path in sorted(probes_dir.glob("short-*.tsv")) for it in load_golden(path)]


def fingerprint(catalogue, dev_path: Path = DEV_FILE) -> tuple[list, str]:
    """The main model's training texts, and the hash of everything both models are trained from."""
    from bot.routing.evaluate import load_golden
    items = labelled(catalogue, load_golden(dev_path), EXTRA_FILE) + probe_rows()
    src = (Path(__file__).read_text(encoding="utf-8"))   # the features and the trainer are part of the data
    return items, data_hash(items + short_probe_rows(), src)


def build(catalogue, router, dev_path: Path = DEV_FILE) -> Model:
    items, h = fingerprint(catalogue, dev_path)
    classes = classes_for(catalogue)
    model = train(training_rows(router, items), classes)
    routable = tuple(s.id for s in catalogue.services if s.routable)
    return Model(model.classes, model.index, model.weights, model.bias, routable, h)


def build_short(catalogue, router, dev_path: Path = DEV_FILE) -> Model:
    """The short crisis reader: the same model, trained on every training line of at most ``SHORT_MESSAGE``
    letters (as the router counts them, normalised) and on the ``short-*`` probe files."""
    items, h = fingerprint(catalogue, dev_path)
    short = [row for row in items + short_probe_rows() if len(router.normalise(row[0])) <= SHORT_MESSAGE]
    model = train(training_rows(router, short), classes_for(catalogue))
    routable = tuple(s.id for s in catalogue.services if s.routable)
    return Model(model.classes, model.index, model.weights, model.bias, routable, h)


def read_extra(path: Path = EXTRA_FILE) -> list[tuple[str, str]]:
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            text, label = line.split("\t")[:2]
            out.append((text, label))
    return out


def cross_validate(catalogue, router, dev_items, extra: Sequence[tuple[str, str]], k: int = 5, seed: int = 0):
    """k-fold cross-validation: dev lines and extra lines are split into k folds (every k-th line);
    each fold is routed by a router whose model was trained on the catalogue examples and the other
    folds, in the order of ``seed``. Returns (dev Report, extra lines as (text, label, RoutingResult))."""
    import dataclasses

    from bot.routing.evaluate import Report

    classes = classes_for(catalogue)
    routable = tuple(s.id for s in catalogue.services if s.routable)
    base = labelled(catalogue, [], None) + probe_rows()
    extra_rows = [(t, _extra_label(lab), 1.0) for t, lab in extra]
    cache: dict[str, dict[str, float]] = {}

    def feats(t: str) -> dict[str, float]:
        if t not in cache:
            cache[t] = router.learned_features(t)
        return cache[t]

    rep = Report()
    extra_out = []
    for fold in range(k):
        train_items = base + [_golden_row(it) for j, it in enumerate(dev_items) if j % k != fold] + \
            [row for j, row in enumerate(extra_rows) if j % k != fold]
        m = train([(feats(row[0]), *row[1:]) for row in train_items], classes, seed=seed)
        m = Model(m.classes, m.index, m.weights, m.bias, routable)
        r = dataclasses.replace(router, model=m)
        for j, it in enumerate(dev_items):
            if j % k == fold:
                rep.add(it, r.route(it.text))
        for j, (t, lab) in enumerate(extra):
            if j % k == fold:
                extra_out.append((t, lab, r.route(t)))
    return rep, extra_out


class _Empty:
    services = ()


def main(argv: Sequence[str] | None = None) -> int:
    """Regenerates data/learned.json (and data/learned_short.json) from the catalogue, dev.tsv,
    data/learned_extra.tsv and the probe files."""
    import argparse

    from bot.catalogue import load_catalogue
    from bot.routing.router import build_router

    ap = argparse.ArgumentParser(prog="python -m bot.routing.learned")
    ap.add_argument("--catalogue", type=Path, default=Path("knowledge/services.yaml"))
    ap.add_argument("--out", type=Path, default=DATA_FILE)
    ap.add_argument("--short-out", type=Path, default=SHORT_FILE)
    ap.add_argument("--cv", type=int, default=0, metavar="K",
                    help="instead of writing the file, report K-fold cross-validation on dev and the extra lines")
    ap.add_argument("--seed", type=int, default=0,
                    help="with --cv: train in this row order (the file is always order 0); a change whose "
                         "gain is within the spread over a few seeds is not told from the order")
    args = ap.parse_args(argv)
    if args.seed and not args.cv:
        ap.error("--seed is for --cv only: the file is always trained in order 0")
    cat = load_catalogue(args.catalogue)
    router = build_router(cat, model=None)
    if args.cv:
        from bot.routing.evaluate import load_golden
        extra = read_extra()
        rep, out = cross_validate(cat, router, load_golden(DEV_FILE), extra, k=args.cv, seed=args.seed)
        label = f"dev, {args.cv}-fold cross-validation of the learned model"
        label += f", seed {args.seed}" if args.seed else ""
        for line in rep.lines(label, sentences=False):
            print(line)
        oos = [res for _t, lab, res in out if lab == "out_of_scope"]
        desk = [(lab, res) for _t, lab, res in out if lab != "out_of_scope"]
        print(f"extra lines ({EXTRA_FILE.name}), same folds: out-of-scope declined "
              f"{sum(r.outcome.value == 'out_of_scope' for r in oos)}/{len(oos)}, desk lines routed right "
              f"{sum(r.outcome.value == 'route' and r.matches[0].id == lab for lab, r in desk)}/{len(desk)}")
        return 0
    for path, model in ((args.out, build(cat, router)), (args.short_out, build_short(cat, router))):
        path.write_text(model.to_json(), encoding="utf-8")
        print(f"{path}: {len(model.index)} features, {len(model.classes)} classes, data {model.data_hash}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
