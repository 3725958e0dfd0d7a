"""A generated default corpus, so that the whole pipeline runs with no input data.

``generate(out_dir)`` writes five domains of gzip JSONL shards (``<domain>/part-NNNNN.jsonl.gz``,
one ``{"id", "text", "source"}`` document per line) and a ground truth of everything planted in
them (``_truth/truth.jsonl.gz``; folders starting with ``_`` are not read by ingest):

* ``exact`` copies (identical text under a new id), ``near_exact`` variants (only whitespace, case
  or punctuation differ), ``paraphrase`` near-duplicates (sentences reordered or dropped, synonyms,
  a changed number, a renamed variable: same content), in ``group`` s of 2-6 documents;
* ``short_junk`` (< 150 characters: menus, cookie banners, buttons, fragments) and
  ``other_lang`` pages (de, fr, uk, es, pl) in the web domain ``cc``;
* ``near_duplicate`` copies for fuzzy dedup: an original with one realistic edit (``edit``: a
  sentence added or removed, a header or footer line, a few words replaced, a date or year
  changed) and its true word 5-gram Jaccard with the original (``jaccard``, fuzzy dedup's default
  shingles: :func:`curation.stages.minhash.jaccard_pairs`). They are made last, from their own
  random stream, get the ids after the domain's others and are inserted into its shards without
  moving any other line, so every other document, id and truth line is what it was without them.

Truth lines are ``{"id", "kind", "copy_of", "group", "lang"}`` (``near_duplicate`` lines add
``edit`` and ``jaccard``): ``copy_of`` is the id of the
original document a copy or variant was made from (an unplanted document, or for exact copies
possibly a short_junk / other_lang one), ``group`` the paraphrase group of that original (its
members are the original and every line with that group, exact copies of a member included).
``_truth/docs.jsonl.gz`` gives ``{"id", "domain", "lang", "topic"}`` for every document and
``_truth/summary.json`` the counts.

Texts come from the hand-written banks in :mod:`curation.demo.banks`; all randomness is drawn
from ``random.Random`` instances seeded from ``seed``, so equal ``(seed, scale)`` give
byte-identical output. Nothing outside the package is read.

Command line: ``python -m curation.demo.corpus OUT [--scale S] [--seed N]``.
"""

from __future__ import annotations

import argparse
import copy
import gzip
import json
import logging
import os
import random
import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from curation.config import FuzzyDedupConfig
from curation.demo import banks as B
from curation.stages import minhash

log = logging.getLogger(__name__)

DEFAULT_SEED = 20261123
DOMAINS = ("cc", "wiki", "arxiv", "lemma", "algebraic-stack")
KINDS = ("exact", "near_exact", "paraphrase", "short_junk", "other_lang", "near_duplicate")
NEAR_DUPLICATE_EDITS = (
    "sentence_added",
    "sentence_removed",
    "header",
    "footer",
    "words_replaced",
    "date_changed",
)
TRUTH_DIR = "_truth"
SHORT = 150  # the length filter's limit: short junk is always shorter

# Originals may share at most this fraction of their word 5-shingles with any earlier original of
# the same domain (|A & B| / min(|A|, |B|)), so unrelated documents are never near-duplicates.
_MAX_SHARED_SHINGLES = 0.5
_GUARD_LIMITS = {"arxiv": 0.6}  # section fragments reuse more fixed text (environments, proofs)
_MAX_TRIES = 60


@dataclass(frozen=True)
class _Mix:
    """How one domain is made: size at scale 1, shard count and planted fractions."""

    size: int
    shards: int
    exact: float
    near: float
    para: float
    junk: float = 0.0
    other: float = 0.0
    variants: tuple[int, ...] = (1,)  # paraphrases per group (group size - 1), drawn uniformly
    fuzzy: float = 0.02  # near_duplicate copies, made after (and besides) everything else


MIXES: dict[str, _Mix] = {
    "cc": _Mix(
        4500, 3, exact=0.08, near=0.02, para=0.10, junk=0.20, other=0.10, variants=(1, 1, 1, 2)
    ),
    "wiki": _Mix(500, 2, exact=0.03, near=0.02, para=0.06, variants=(1, 1, 2)),
    "arxiv": _Mix(650, 3, exact=0.03, near=0.02, para=0.18, variants=(1, 1, 2, 2, 3, 4, 5)),
    "lemma": _Mix(650, 2, exact=0.03, near=0.02, para=0.17, variants=(1, 1, 2, 3, 4, 5)),
    "algebraic-stack": _Mix(650, 3, exact=0.03, near=0.02, para=0.18, variants=(1, 1, 2, 3, 4, 5)),
}


# ---------------------------------------------------------------------------------------------
# Slot filling
# ---------------------------------------------------------------------------------------------

_BRACE = re.compile(r"\{([^{}]+)\}")
_WHITE_BRACKET = re.compile(r"⟦([^⟦⟧]+)⟧")
_CHOICE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class _Filler:
    """Fills ``{slot}`` / ``⟦slot⟧`` templates for one document.

    ``a|b|c`` is a fresh choice; ``name:a|b`` a choice made once per document (the index is
    remembered, so ``{g:he|she}`` and ``{g:his|her}`` agree); ``name`` asks ``provider`` and
    remembers the value when the provider says so.
    """

    def __init__(
        self,
        rng: random.Random,
        provider: Callable[[_Filler, str], tuple[str, bool]],
        fixed: dict[str, str] | None = None,
    ) -> None:
        self.rng = rng
        self.provider = provider
        self.values: dict[str, str] = dict(fixed or {})
        self.index: dict[str, int] = {}
        self.choices: dict[str, tuple[str, ...]] = {}

    def fill(self, template: str, pattern: re.Pattern[str] = _BRACE) -> str:
        return pattern.sub(lambda m: self._slot(m.group(1)), template)

    def _slot(self, body: str) -> str:
        if "|" in body:
            head, sep, rest = body.partition(":")
            if sep and _CHOICE_NAME.fullmatch(head) and "|" in rest:
                return self.named_choice(head, tuple(rest.split("|")))
            return self.rng.choice(body.split("|"))
        if body in self.values:
            return self.values[body]
        if body in self.choices:
            return self.named_choice(body, self.choices[body])
        value, keep = self.provider(self, body)
        if keep:
            self.values[body] = value
        return value

    def named_choice(self, name: str, alts: tuple[str, ...]) -> str:
        if name in self.values:
            return self.values[name]
        if name not in self.index:
            self.index[name] = self.rng.randrange(len(alts))
        self.choices.setdefault(name, alts)
        return alts[self.index[name] % len(alts)]

    def distinct(self, key: str, pool: Sequence[str], avoid: Iterable[str] = ()) -> str:
        """A value from ``pool`` remembered under ``key`` and different from ``avoid``."""
        if key not in self.values:
            banned = set(avoid)
            self.values[key] = self.rng.choice([p for p in pool if p not in banned])
        return self.values[key]


def _ru_form(n: int, one: str, few: str, many: str) -> str:
    """The Russian noun form that agrees with the number ``n``."""
    n = abs(n)
    if n % 10 == 1 and n % 100 != 11:
        return one
    if 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14:
        return few
    return many


def _ru_int(rng: random.Random, lo: int, hi: int, step: int = 1) -> int:
    """A number whose last digit is not 1 (so nominative, accusative and genitive all agree)."""
    while True:
        n = rng.randrange(lo, hi + 1, step)
        if not (n % 10 == 1 and n % 100 != 11):
            return n


def _group_digits(n: int, sep: str) -> str:
    return f"{n:,}".replace(",", sep)


_EN_NUMBERS: dict[str, tuple[int, int, str]] = {
    # slot: (low, high, unit) -> "<n> <unit>"
    "min": (5, 55, "minutes"),
    "hours": (2, 9, "hours"),
    "days": (2, 6, "days"),
    "weeks": (2, 8, "weeks"),
    "years": (3, 15, "years"),
    "km": (6, 45, "kilometres"),
    "km_long": (300, 1500, "kilometres"),
    "kg": (2, 40, "kilograms"),
    "people": (4, 12, "people"),
    "pct": (5, 60, "percent"),
}

# slot: (low, high, step, one, few, many); numbers never end in 1 (see _ru_int)
_RU_NUMBERS: dict[str, tuple[int, int, int, str, str, str]] = {
    "min": (5, 55, 1, "минута", "минуты", "минут"),
    "hours": (2, 9, 1, "час", "часа", "часов"),
    "days": (2, 6, 1, "день", "дня", "дней"),
    "weeks": (2, 8, 1, "неделя", "недели", "недель"),
    "years": (3, 15, 1, "год", "года", "лет"),
    "km": (6, 45, 1, "километр", "километра", "километров"),
    "km_long": (300, 1500, 10, "километр", "километра", "километров"),
    "kg": (2, 40, 1, "килограмм", "килограмма", "килограммов"),
    "people": (5, 12, 1, "человек", "человека", "человек"),
    "pct": (5, 60, 1, "процент", "процента", "процентов"),
    "goals": (3, 9, 1, "гол", "гола", "голов"),
    "rows": (2, 9, 1, "ряд", "ряда", "рядов"),
    "jars": (5, 30, 1, "банка", "банки", "банок"),
    "modules": (3, 25, 1, "модуль", "модуля", "модулей"),
    "layers": (2, 6, 1, "слой", "слоя", "слоёв"),
    "subs": (2, 7, 1, "подписка", "подписки", "подписок"),
    "films": (20, 200, 1, "фильм", "фильма", "фильмов"),
    "books": (12, 60, 1, "книга", "книги", "книг"),
    "flights": (5, 40, 1, "рейс", "рейса", "рейсов"),
    "players": (12, 40, 1, "шахматист", "шахматиста", "шахматистов"),
    "patients": (120, 3000, 10, "пациент", "пациента", "пациентов"),
    "big_people": (1200, 60000, 100, "человек", "человека", "человек"),
    "big_passengers": (2000, 90000, 100, "пассажир", "пассажира", "пассажиров"),
}


def _common_slot(f: _Filler, name: str, lang: str) -> tuple[str, bool] | None:
    """Slots that look the same in English and Russian (numbers, years, times)."""
    rng = f.rng
    sep = " " if lang == "ru" else ","
    if name == "num":
        return str(_ru_int(rng, 2, 12)), False
    if name in ("num2", "pct_plain"):
        return str(_ru_int(rng, 12, 60)), False
    if name == "big":
        return _group_digits(rng.randrange(1200, 95000, 100), sep), False
    if name == "minute":
        return str(rng.randint(5, 89)), False
    if name == "score":
        return f"{rng.randint(0, 4)}:{rng.randint(0, 3)}", True
    if name == "clock":
        return (
            f"{rng.randint(6, 23)}:{rng.choice(('00', '10', '15', '20', '30', '40', '45', '50'))}",
            False,
        )
    if name in ("year",):
        return str(rng.randint(1995, 2023)), False
    if name in ("old_year", "old_year2"):
        return str(rng.randint(1150, 1890)), True
    if name == "rail_year":
        return str(rng.randint(1848, 1912)), True
    if name == "theatre_year":
        return str(rng.randint(1882, 1912)), True
    return None


def _en_slot(f: _Filler, name: str) -> tuple[str, bool]:
    rng = f.rng
    w = B.EN_WORDS
    common = _common_slot(f, name, "en")
    if common is not None:
        return common
    if name in _EN_NUMBERS:
        lo, hi, unit = _EN_NUMBERS[name]
        return f"{rng.randint(lo, hi)} {unit}", False
    if name == "name":
        return rng.choice(w["name_m"] + w["name_f"]), True
    if name == "person":
        return f"{rng.choice(w['name_m'] + w['name_f'])} {rng.choice(w['surname'])}", True
    if name in ("city2", "team2", "lang2"):
        base = name[:-1]
        return f.distinct(name, w[base], [f.fill("{" + base + "}")]), True
    if name == "petname":
        return rng.choice(w[name]), False
    if name in w:
        return rng.choice(w[name]), True
    if name == "temp":
        t = rng.randint(-25, 35)
        return (f"minus {-t} degrees" if t < 0 else f"{t} degrees"), False
    if name == "oven":
        return f"{rng.randrange(160, 240, 10)} degrees", False
    if name == "price":
        return f"£{rng.randrange(40, 900, 5)}", False
    if name == "money":
        return f"£{rng.randrange(30, 900, 10)}", False
    if name == "fee":
        return f"£{rng.randint(2, 40)} million", False
    if name == "date":
        return (
            f"{rng.randint(1, 28)} {rng.choice(w['month_name'])} {rng.randint(2012, 2024)}",
            False,
        )
    if name == "ago":
        return rng.choice(
            ("last year", "two years ago", "a few months ago", "in the spring")
        ), False
    if name in ("tag", "tag2", "tag3"):
        return _distinct_tag(f, name, B.JUNK_TAGS["en"]), True
    if name == "menu":
        return _menu(rng, B.JUNK_MENU["en"]), False
    if name == "frag":
        return _fragment(f, B.EN_TOPICS), False
    raise KeyError(f"unknown English slot {name!r}")


def _ru_slot(f: _Filler, name: str) -> tuple[str, bool]:
    rng = f.rng
    w = B.RU_WORDS
    common = _common_slot(f, name, "ru")
    if common is not None:
        return common
    base = name.removesuffix("_gen")
    if base in _RU_NUMBERS:
        lo, hi, step, one, few, many = _RU_NUMBERS[base]
        n = _ru_int(rng, lo, hi, step)
        num = _group_digits(n, " ")
        return f"{num} {many if name.endswith('_gen') else _ru_form(n, one, few, many)}", False
    if name.startswith(("city", "city2")):
        return _ru_city(f, name), True
    if name in ("name_m", "name_f", "surname", "petname", "band", "site", "handle", "street_prep"):
        return rng.choice(w[name]), name != "petname"
    if name == "name":
        return rng.choice(w["name_m"] + w["name_f"]), True
    if name == "person":
        if rng.random() < 0.5:
            return f"{rng.choice(w['name_m'])} {rng.choice(w['surname'])}", True
        return f"{rng.choice(w['name_f'])} {rng.choice(w['surname'])}а", True
    if name in ("team", "team2", "lang", "lang2"):
        pool = w[name.rstrip("2")]
        avoid = [f.fill("{" + name.rstrip("2") + "}")] if name.endswith("2") else []
        return f.distinct(name, pool, avoid), True
    if name in ("in_month", "in_month_cap"):
        prep = f.distinct("_month", [m[0] for m in B.RU_MONTHS])
        return ("В " if name.endswith("cap") else "в ") + prep, True
    if name in ("temp", "temp_gen"):
        t = _ru_int(rng, -25, 35)
        word = "градусов" if name == "temp_gen" else _ru_form(t, "градус", "градуса", "градусов")
        return (f"минус {-t} {word}" if t < 0 else f"плюс {t} {word}"), False
    if name == "oven":
        return f"{rng.randrange(160, 240, 10)} градусов", False
    if name == "price":
        return f"{_group_digits(rng.randrange(500, 30000, 100), ' ')} рублей", False
    if name == "money":
        return f"{_group_digits(rng.randrange(500, 5000, 100), ' ')} рублей", False
    if name == "savings":
        return f"{_group_digits(rng.randrange(5000, 60000, 1000), ' ')} рублей", False
    if name == "fee":
        return f"{rng.randint(5, 20)} миллионов евро", False
    if name == "date":
        return f"{rng.randint(1, 28)} {rng.choice(B.RU_MONTHS)[1]} {rng.randint(2012, 2024)}", False
    if name == "ago":
        return rng.choice(
            ("в прошлом году", "два года назад", "несколько месяцев назад", "прошлой весной")
        ), False
    if name in ("tag", "tag2", "tag3"):
        return _distinct_tag(f, name, B.JUNK_TAGS["ru"]), True
    if name == "menu":
        return _menu(rng, B.JUNK_MENU["ru"]), False
    if name == "frag":
        return _fragment(f, B.RU_TOPICS), False
    raise KeyError(f"unknown Russian slot {name!r}")


def _ru_city(f: _Filler, name: str) -> str:
    """``city``/``city2`` in one of five cases: ``_gen``, ``_prep``, ``_instr``, ``_acc``."""
    which, _, case = name.partition("_")
    cities = [c[0] for c in B.RU_CITIES]
    first = f.distinct("_city", cities)
    nom = first if which == "city" else f.distinct("_city2", cities, [first])
    row = next(c for c in B.RU_CITIES if c[0] == nom)
    return row[("", "gen", "prep", "instr", "acc").index(case)]


def _other_slot(lang: str) -> Callable[[_Filler, str], tuple[str, bool]]:
    def provide(f: _Filler, name: str) -> tuple[str, bool]:
        if name == "num":
            return str(f.rng.randint(5, 20)), False
        return f.rng.choice(B.OTHER_WORDS[lang][name]), True

    return provide


def _distinct_tag(f: _Filler, name: str, pool: Sequence[str]) -> str:
    used = [f.values[t] for t in ("tag", "tag2", "tag3") if t in f.values and t != name]
    return f.distinct(name, pool, used)


def _menu(rng: random.Random, items: Sequence[str]) -> str:
    sep = rng.choice((" | ", " · ", " / ", "  "))
    return sep.join(rng.sample(list(items), rng.randint(3, 7)))


def _fragment(f: _Filler, bank: dict[str, tuple[tuple[str, ...], tuple[str, ...]]]) -> str:
    """The start of a random bank sentence, cut at a word boundary."""
    rng = f.rng
    topic = rng.choice(sorted(bank))
    words = f.fill(rng.choice(bank[topic][1])).split()
    cut = rng.randint(3, max(3, min(len(words) - 1, 9)))
    return " ".join(words[:cut]).rstrip(",:;") + rng.choice(("...", "…", " —", ""))


# ---------------------------------------------------------------------------------------------
# Drafts: a document before it gets an id, with enough structure to make variants of it
# ---------------------------------------------------------------------------------------------


@dataclass
class _Draft:
    lang: str
    topic: str
    source: str
    style: str  # web | wiki | latex | qa | code
    head: str
    paras: list[list[str]]
    more: Callable[[random.Random], str | None] | None = None
    renames: dict[str, tuple[str, ...]] = field(default_factory=dict)
    code_lang: str = ""

    def text(self) -> str:
        if self.style == "qa":  # paras: [intro], [question], [closing], [answer]
            question = " ".join(self.paras[0] + self.paras[1] + self.paras[2])
            return f"Question: {question}\n\nAnswer: {' '.join(self.paras[3])}"
        if self.style == "code":
            sep = "\n\n\n" if self.code_lang == "python" else "\n\n"
            return sep.join([self.head] + [p[0] for p in self.paras]) + "\n"
        sep = "\n" if self.style == "web" else "\n\n"
        return sep.join(([self.head] if self.head else []) + [" ".join(p) for p in self.paras if p])


def _web_draft(rng: random.Random, lang: str) -> _Draft:
    """A blog/news-like page in English or Russian on one topic."""
    bank = B.EN_TOPICS if lang == "en" else B.RU_TOPICS
    topic = rng.choice(sorted(bank))
    titles, sentences = bank[topic]
    f = _Filler(rng, _en_slot if lang == "en" else _ru_slot)
    n = rng.choice((3, 4, 4, 5, 5, 6, 6, 7, 8, 9))
    picked = rng.sample(range(len(sentences)), n)
    body = [f.fill(sentences[i]) for i in picked]
    if rng.random() < 0.25:
        body.append(f.fill(rng.choice(B.WEB_EXTRAS[lang])))
    paras = _split_paragraphs(rng, body)
    head = f.fill(rng.choice(titles)) if rng.random() < 0.7 else ""
    unused = [s for i, s in enumerate(sentences) if i not in picked]

    def more(r: random.Random) -> str | None:
        return f.fill(r.choice(unused)) if unused else None

    return _Draft(lang, topic, "demo-web", "web", head, paras, more)


def _split_paragraphs(rng: random.Random, sentences: list[str]) -> list[list[str]]:
    paras: list[list[str]] = []
    i = 0
    while i < len(sentences):
        k = rng.randint(2, 4)
        paras.append(sentences[i : i + k])
        i += k
    return paras


def _other_draft(rng: random.Random, lang: str) -> _Draft:
    """A short page in another language from one or two topics of its bank."""
    bank = B.OTHER_TOPICS[lang]
    topics = rng.sample(sorted(bank), rng.choice((1, 2, 2)))
    f = _Filler(rng, _other_slot(lang))
    body: list[str] = []
    for t in topics:
        body += [f.fill(s) for s in rng.sample(bank[t], rng.randint(2, 4))]
    return _Draft(lang, "+".join(topics), "demo-web", "web", "", _split_paragraphs(rng, body))


def _junk_draft(rng: random.Random, lang: str) -> _Draft:
    f = _Filler(rng, _en_slot if lang == "en" else _ru_slot)
    text = f.fill(rng.choice(B.JUNK[lang]))
    return _Draft(lang, "junk", "demo-web", "web", "", [[text]])


# --- wiki -------------------------------------------------------------------------------------


def _wiki_slots(rng: random.Random, lang: str, kind: str) -> dict[str, str]:
    """Article-level facts: an invented entity with consistent dates and numbers."""
    w = B.WIKI_WORDS[lang]
    sep = " " if lang == "ru" else ","
    birth = rng.randint(1820, 1935)
    grad = birth + rng.randint(20, 24)
    s: dict[str, str] = {
        "birth": str(birth),
        "death": str(birth + rng.randint(55, 92)),
        "grad_year": str(grad),
        "phd_year": str(grad + rng.randint(3, 6)),
        "job_year": str(grad + rng.randint(5, 10)),
        "paper_year": str(grad + rng.randint(8, 20)),
        "frs_year": str(grad + rng.randint(15, 30)),
        "prize_year": str(grad + rng.randint(15, 30)),
        "premiere_year": str(grad + rng.randint(2, 9)),
        "students": str(_ru_int(rng, 6, 40)),
        "papers": str(rng.randrange(60, 400, 10)),
        "works": str(rng.randrange(40, 300, 10)),
        "census": rng.choice(
            ("2001", "2011", "2021") if lang == "en" else ("2002", "2010", "2021")
        ),
        "old_year": str(rng.randint(1086, 1620)),
        "rail_year": str(rng.randint(1840, 1905)),
        "city_year": str(rng.randint(1708, 1965)),
        "museum_year": str(rng.randint(1905, 1990)),
        "twin_year": str(rng.randint(1958, 1998)),
        "flood_year": str(rng.randint(1947, 2015)),
        "protect_year": str(rng.randint(1951, 2008)),
        "decade": str(rng.choice((1970, 1980, 1990, 2000))),
        "school": str(rng.randrange(350, 1600, 10)),
        "elev": str(rng.randrange(150, 420, 10)),
        "len": str(rng.randint(18, 190)),
        "basin": _group_digits(rng.randrange(120, 3400, 10), sep),
        "area": str(rng.randint(2, 30)),
        "depth": str(rng.randint(5, 20) if lang == "ru" else rng.randint(10, 70)),
        "cm": str(rng.randint(12, 20)),
        "grams": str(rng.randint(10, 20)),
        "eggs": str(rng.randint(3, 4)),
    }
    s["age"] = str(int(s["death"]) - birth)
    pop = rng.randrange(3000, 60000, 100)
    if lang == "en":
        s.update(_wiki_en_names(rng, w, kind))
        s["pop"] = _group_digits(pop, ",")
        s["city"], s["city2"] = rng.sample(B.EN_WORDS["city"], 2)
        s["month_name"] = rng.choice(B.EN_WORDS["month_name"])
    else:
        s.update(_wiki_ru_names(rng, w, kind))
        s["pop_ru"] = f"{_group_digits(pop, ' ')} человек"
        s["len_ru"] = f"{s['len']} км"
        s["basin_ru"] = f"{s['basin']} км²"
        s["area_ru"] = f"{s['area']} км²"
        s["age_ru"] = f"{s['age']} {_ru_form(int(s['age']), 'года', 'лет', 'лет')}"
        c1, c2 = rng.sample(B.RU_CITIES, 2)
        s["city_prep"], s["city2_prep"], s["city_acc"] = c1[2], c2[2], c1[4]
    return s


def _wiki_en_names(rng: random.Random, w: dict[str, tuple[str, ...]], kind: str) -> dict[str, str]:
    town = rng.choice(w["town_a"]) + rng.choice(w["town_b"])
    rivers = rng.sample(w["river"], 4)
    s = {
        "region": rng.choice(w["region"]),
        "river": rivers[1],
        "trib": rivers[2],
        "trib2": rivers[3],
        "town": town,
        "saint": rng.choice(w["saint"]),
        "field": rng.choice(w["field"]),
        "topic": rng.choice(w["topic"]),
        "univ": rng.choice(w["univ"]),
        "family": rng.choice(w["family"]),
        "range_en": rng.choice(w["range_en"]),
    }
    if kind == "town":
        s["E"] = town
    elif kind == "river":
        s["E"] = rivers[0]
    elif kind in ("scientist", "composer"):
        male = rng.random() < 0.6
        first = rng.choice(B.EN_WORDS["name_m" if male else "name_f"])
        s["E"] = f"{first} {rng.choice(B.EN_WORDS['surname'])}"
        s["g"] = "0" if male else "1"
    elif kind == "lake":
        s["E"] = f"{rng.choice(w['lake_a'])} {rng.choice(w['lake_b'])}"
    else:
        s["E"] = f"{rng.choice(w['bird_a'])} {rng.choice(w['bird_b'])}"
    return s


def _wiki_ru_names(rng: random.Random, w: dict[str, tuple[str, ...]], kind: str) -> dict[str, str]:
    town = rng.choice(w["town_a"]) + rng.choice(w["town_b"])
    rivers = rng.sample(w["river"], 4)
    s = {
        "region_prep": rng.choice(w["region"]),
        "river_ru": rivers[1],
        "trib_ru": rivers[2],
        "trib2_ru": rivers[3],
        "town_ru": town,
        "field_ru": rng.choice(w["field"]),
        "topic_ru": rng.choice(w["topic"]),
        "univ_ru": rng.choice(w["univ"]),
        "family_ru": rng.choice(w["family"]),
        "range_ru": rng.choice(w["range"]),
        "cathedral": rng.choice(
            ("Троицкий", "Успенский", "Воскресенский", "Никольский", "Покровский", "Спасский")
        ),
    }
    s["region_gen"] = s["region_prep"]
    if kind == "town":
        s["E"] = town
        s["E_district"] = town + "ого"
    elif kind == "river":
        s["E"] = rivers[0]
    elif kind in ("scientist", "composer"):
        male = rng.random() < 0.6
        if male:
            s["E"] = f"{rng.choice(w['first_m'])} {rng.choice(w['patr_m'])} {rng.choice(w['last'])}"
        else:
            s["E"] = (
                f"{rng.choice(w['first_f'])} {rng.choice(w['patr_f'])} {rng.choice(w['last'])}а"
            )
        s["g"] = "0" if male else "1"
    elif kind == "lake":
        s["E"] = rng.choice(w["lake_a"])
    else:
        s["E"] = f"{rng.choice(w['bird_a'])} {rng.choice(w['bird_b'])}"
    return s


def _wiki_draft(rng: random.Random, lang: str) -> _Draft:
    kind = rng.choice(sorted(B.WIKI[lang]))
    intros, facts = B.WIKI[lang][kind]
    slots = _wiki_slots(rng, lang, kind)
    gender = slots.pop("g", None)

    def missing(_f: _Filler, name: str) -> tuple[str, bool]:
        raise KeyError(f"unknown wiki slot {name!r}")

    f = _Filler(rng, missing, slots)
    if gender is not None:
        f.index["g"] = int(gender)
    picked = sorted(
        rng.sample(range(len(facts)), rng.randint(min(4, len(facts)), min(8, len(facts))))
    )
    sentences = [f.fill(rng.choice(intros))] + [f.fill(rng.choice(facts[i])) for i in picked]
    paras = _split_paragraphs(rng, sentences)
    unused = [facts[i] for i in range(len(facts)) if i not in picked]

    def more(r: random.Random) -> str | None:
        return f.fill(r.choice(r.choice(unused))) if unused else None

    title = slots["E"][0].upper() + slots["E"][1:]
    return _Draft(lang, kind, "demo-encyclopedia", "wiki", title, paras, more)


# --- arxiv ------------------------------------------------------------------------------------


def _latex_slot(f: _Filler, name: str) -> tuple[str, bool]:
    rng = f.rng
    if name == "k":
        return str(rng.randint(2, 9)), True
    if name == "m":
        return str(rng.randint(3, 12)), True
    if name in ("G", "H", "q"):
        pools = {"G": ("G", "H", "\\Gamma"), "H": ("H", "\\mathcal{H}"), "q": ("q", "m", "N")}
        return rng.choice(pools[name]), True
    raise KeyError(f"unknown LaTeX slot {name!r}")


def _is_proof(block: list[str]) -> bool:
    return block[0].startswith("\\begin{proof}")


def _arxiv_draft(rng: random.Random, _lang: str = "en") -> _Draft:
    """A section of a paper: heading, intro paragraph, definition, result, proof, extras."""
    topic = rng.choice(sorted(B.ARXIV_TOPICS))
    t = B.ARXIV_TOPICS[topic]
    f = _Filler(rng, _latex_slot)

    def fill(s: str) -> str:
        return f.fill(s, _WHITE_BRACKET)

    title = rng.choice(t["titles"])
    label = re.sub(r"[^a-z]+", "-", title.lower()).strip("-")
    head = f"\\section{{{title}}}\n\\label{{sec:{label}}}"
    intro = [fill(s) for s in rng.sample(t["intro"], rng.randint(2, 4))]
    blocks: list[list[str]] = [intro]
    if rng.random() < 0.8:
        blocks.append([fill(rng.choice(t["defs"]))])
    if rng.random() < 0.6:
        blocks.append([fill(rng.choice(B.ARXIV_GLUE))])
    for thm, proof in zip(
        rng.sample(t["thms"], rng.choice((1, 1, 2))), rng.sample(t["proofs"], 2), strict=False
    ):
        blocks.append([fill(thm)])
        if rng.random() < 0.75:
            blocks.append([fill(proof)])
    for key, p in (("eqs", 0.6), ("remarks", 0.4)):
        if rng.random() < p:
            spots = [
                i for i in range(1, len(blocks) + 1) if i == len(blocks) or not _is_proof(blocks[i])
            ]
            blocks.insert(rng.choice(spots), [fill(rng.choice(t[key]))])
    glue = list(B.ARXIV_GLUE)

    def more(r: random.Random) -> str | None:
        return fill(r.choice(glue))

    return _Draft("en", topic, "demo-latex", "latex", head, blocks, more)


# --- lemma ------------------------------------------------------------------------------------


def _lemma_draft(rng: random.Random, _lang: str = "en") -> _Draft:
    maker = rng.choice(B.LEMMA_MAKERS)
    question, answer = maker(rng)
    intro, outro = rng.choice(B.LEMMA_INTROS), rng.choice(B.LEMMA_OUTROS)
    paras = [[intro] if intro else [], [question], [outro] if outro else [], [answer]]
    return _Draft("en", maker.__name__.removeprefix("q_"), "demo-mathqa", "qa", "", paras)


# --- algebraic-stack --------------------------------------------------------------------------


def _code_slot(f: _Filler, name: str) -> tuple[str, bool]:
    rng = f.rng
    if name in B.CODE_NAMES:  # the file's naming style; LO and HI come as a pair
        if name in ("LO", "HI"):
            f.index[name] = f.index.setdefault("_LOHI", rng.randrange(len(B.CODE_NAMES[name])))
        return f.named_choice(name, B.CODE_NAMES[name]), False
    if name == "stepsize":
        return rng.choice(("1.0", "0.5", "0.1", "1e-2")), True
    if name == "sqval":
        return str(int(f.fill("⟦n⟧", _WHITE_BRACKET)) ** 2), True
    if name == "tol":
        return rng.choice(("1e-6", "1e-8", "1e-10", "1e-12", "1e-9", "5e-7")), True
    if name == "maxit":
        return str(rng.choice((50, 100, 200, 500, 1000, 10000))), True
    if name == "n":
        return str(rng.randint(3, 7)), True
    if name == "n2":
        return str(rng.choice((16, 20, 32, 40, 50, 64, 100, 128, 200))), True
    if name == "fibval":
        n = int(f.fill("⟦n⟧", _WHITE_BRACKET))
        a, b = 0, 1
        for _ in range(n):
            a, b = b, a + b
        return str(a), True
    if name == "factval":
        n = int(f.fill("⟦n⟧", _WHITE_BRACKET))
        v = 1
        for k in range(2, n + 1):
            v *= k
        return str(v), True
    raise KeyError(f"unknown code slot {name!r}")


def _code_draft(rng: random.Random, _lang: str = "") -> _Draft:
    """A source file: a header and one to three function-sized templates of one language."""
    langs = [lang for lang, _ in B.CODE_LANG_WEIGHTS]
    lang = rng.choices(langs, weights=[w for _, w in B.CODE_LANG_WEIGHTS])[0]
    f = _Filler(rng, _code_slot)
    head = f.fill(rng.choice(B.CODE_HEADERS[lang]), _WHITE_BRACKET)
    templates = rng.sample(B.CODE_TEMPLATES[lang], rng.choice((1, 2, 2, 3)))
    if lang == "matlab":  # a script part must come before the local functions of a file
        templates.sort(key=lambda t: t.startswith("function"))
    blocks = [[f.fill(t, _WHITE_BRACKET)] for t in templates]
    if "namespace" in head:
        name = head.rsplit("namespace ", 1)[1].removesuffix(" {")
        blocks.append([f"end {name}" if lang == "lean" else f"}}  // namespace {name}"])
    return _Draft("zxx", lang, f"demo-code-{lang}", "code", head, blocks, None, _renamable(f), lang)


def _renamable(f: _Filler) -> dict[str, tuple[str, ...]]:
    """Identifier -> its alternatives, for the named choices that name identifiers."""
    out: dict[str, tuple[str, ...]] = {}
    for name in sorted(f.choices):
        alts = f.choices[name]
        value = alts[f.index[name] % len(alts)]
        if all(re.fullmatch(r"[A-Za-z_][A-Za-z0-9_']*", a) for a in alts):
            out[value] = alts
    return out


_MAKERS: dict[str, Callable[[random.Random, str], _Draft]] = {
    "cc": _web_draft,
    "wiki": _wiki_draft,
    "arxiv": _arxiv_draft,
    "lemma": _lemma_draft,
    "algebraic-stack": _code_draft,
}


# ---------------------------------------------------------------------------------------------
# Variants: near-exact (whitespace/case/punctuation only) and paraphrase-like
# ---------------------------------------------------------------------------------------------


def normalize_for_near_exact(text: str) -> str:
    """Lowercase and drop everything but letters and digits: near-exact variants agree on it."""
    return re.sub(r"[\W_]+", "", text.lower())


def _ws_transform(rng: random.Random, text: str) -> str:
    how = rng.randrange(5)
    if how == 0:
        return " ".join(text.split())
    if how == 1:
        return text.replace("\n", "\n\n")
    if how == 2:
        return rng.choice(("  ", "\n", "\t", " ")) + text + rng.choice(("\n", "  \n", " ", "\n\n"))
    if how == 3:
        return re.sub(r"(?<=\S) (?=\S)", lambda m: "  " if rng.random() < 0.15 else " ", text)
    return "\n".join(
        line.rstrip() + (" " if rng.random() < 0.3 else "") for line in text.split("\n")
    )


def _case_transform(rng: random.Random, text: str) -> str:
    how = rng.randrange(3)
    if how == 0:
        return text.lower()
    if how == 1:
        return text.upper()
    return re.sub(r"(^|[.!?]\s+)(\w)", lambda m: m.group(1) + m.group(2).lower(), text)


_QUOTES = str.maketrans(
    {"«": '"', "»": '"', "“": '"', "”": '"', "„": '"', "—": "-", "–": "-", "’": "'"}
)


def _punct_transform(rng: random.Random, text: str) -> str:
    how = rng.randrange(4)
    if how == 0:
        return "".join(ch for ch in text if not unicodedata.category(ch).startswith("P"))
    if how == 1:
        out = text.translate(_QUOTES)
        return out if out != text else text.replace(",", "")
    if how == 2:
        return re.sub(r"[,;]", "", text).rstrip(".!?")
    return re.sub(
        r"([.!?])(\s|$)", lambda m: m.group(1) * rng.randint(2, 3) + m.group(2), text, count=3
    )


def near_exact_variant(rng: random.Random, text: str, style: str) -> str | None:
    """A variant differing from ``text`` but equal after :func:`normalize_for_near_exact`."""
    transforms = [_ws_transform]
    if style in ("web", "wiki"):  # not in LaTeX or code, where punctuation is content
        transforms += [_punct_transform]
    if style in ("web", "wiki"):
        transforms += [_case_transform]
    target = normalize_for_near_exact(text)
    for _ in range(20):
        chosen = rng.sample(transforms, rng.randint(1, min(2, len(transforms))))
        out = text
        for t in chosen:
            out = t(rng, out)
        if out != text and normalize_for_near_exact(out) == target:
            return out
    return None


def _swap_words(rng: random.Random, text: str, pairs: Sequence[tuple[str, str]], k: int) -> str:
    present = [(a, b) for a, b in pairs if re.search(rf"(?<!\w){re.escape(a)}(?!\w)", text)]
    for a, b in rng.sample(present, min(k, len(present))):
        text = re.sub(rf"(?<!\w){re.escape(a)}(?!\w)", b, text)
        cap_a, cap_b = a[:1].upper() + a[1:], b[:1].upper() + b[1:]
        if cap_a != a:
            text = re.sub(rf"(?<!\w){re.escape(cap_a)}(?!\w)", cap_b, text)
    return text


_NUMBER = re.compile(r"(?<![\w.,:$^_{])(\d{1,4})(?![\w.,:]\d|\w)")


def _change_number(rng: random.Random, text: str, lang: str) -> str:
    """Replace one standalone number by another that needs the same Russian noun form."""
    spots = [m for m in _NUMBER.finditer(text) if int(m.group(1)) >= (20 if lang == "ru" else 2)]
    if lang == "ru":
        spots = [m for m in spots if int(m.group(1)) % 10 not in (1, 2, 3, 4)]
    if not spots:
        return text
    m = rng.choice(spots)
    n = int(m.group(1))
    for _ in range(20):
        if 1000 <= n <= 2100:  # a year: move it a little
            new = n + rng.choice((-1, 1)) * rng.randint(1, 12)
        else:
            new = max(2, round(n * rng.uniform(0.7, 1.35)))
        if new != n and (
            lang != "ru" or (new % 10 not in (1, 2, 3, 4) and not 10 <= new % 100 <= 19)
        ):
            return text[: m.start(1)] + str(new) + text[m.end(1) :]
    return text


def _all_sentences(d: _Draft) -> list[tuple[int, int]]:
    return [(i, j) for i, p in enumerate(d.paras) for j in range(len(p))]


def _op_swap(rng: random.Random, d: _Draft) -> bool:
    """Reorder: swap two sentences of a paragraph, or two paragraphs after the first."""
    multi = [p for p in d.paras if len(p) >= 2]
    if multi and (d.style != "latex" or rng.random() < 0.7):
        p = rng.choice(multi)
        i, j = rng.sample(range(len(p)), 2)
        p[i], p[j] = p[j], p[i]
        return True
    if len(d.paras) >= 3 and d.style in ("web", "wiki"):  # LaTeX keeps its environments in order
        i, j = rng.sample(range(1, len(d.paras)), 2)
        d.paras[i], d.paras[j] = d.paras[j], d.paras[i]
        return True
    return False


def _op_drop(rng: random.Random, d: _Draft) -> bool:
    """Drop one sentence (never a whole paragraph or environment) from a long enough document."""
    spots = [(i, j) for i, j in _all_sentences(d)[1:] if len(d.paras[i]) >= 2]
    if len(_all_sentences(d)) < 6 or not spots:
        return False
    i, j = rng.choice(spots)
    del d.paras[i][j]
    return True


def _op_add(rng: random.Random, d: _Draft) -> bool:
    """Add one more on-topic sentence to a document that is long enough not to change much."""
    extra = d.more(rng) if d.more and len(_all_sentences(d)) >= 5 else None
    if not extra:
        return False
    p = rng.choice([p for p in d.paras if d.style != "latex" or len(p) > 1] or d.paras)
    p.insert(rng.randint(0, len(p)), extra)
    return True


def _op_synonyms(rng: random.Random, d: _Draft) -> bool:
    pairs = (
        B.SYNONYMS["math" if d.style in ("latex", "qa") else d.lang]
        if d.lang in ("en", "ru")
        else ()
    )
    before = d.text()
    k = rng.randint(1, 3)
    d.paras = [[_swap_words(rng, s, pairs, k) for s in p] for p in d.paras]
    return d.text() != before


def _op_number(rng: random.Random, d: _Draft) -> bool:
    spots = _all_sentences(d)
    rng.shuffle(spots)
    for i, j in spots:
        new = _change_number(rng, d.paras[i][j], d.lang)
        if new != d.paras[i][j]:
            d.paras[i][j] = new
            return True
    return False


_QA_EXTRAS = (
    "Edit: fixed a typo in the statement.",
    "I have seen this in several textbooks but never with a full solution.",
    "Sorry if this is a duplicate.",
    "This is not homework, I am just curious.",
)


def _op_qa_context(rng: random.Random, d: _Draft) -> bool:
    """Change the asker's framing around an unchanged question (a re-asked duplicate)."""
    before = (d.paras[0], d.paras[2])
    intro, outro = rng.choice(B.LEMMA_INTROS), rng.choice(_QA_EXTRAS + B.LEMMA_OUTROS)
    d.paras[0] = [intro] if intro else []
    d.paras[2] = [outro] if outro else []
    return (d.paras[0], d.paras[2]) != before


# rename only identifiers used at most this often, so the file stays close to the original
_MAX_RENAMED = 8


def _op_rename(rng: random.Random, d: _Draft) -> bool:
    text = d.text()
    names = [
        n
        for n in sorted(d.renames)
        if len(re.findall(rf"(?<![\w']){re.escape(n)}(?![\w'])", text)) <= _MAX_RENAMED
    ]
    if not names:
        return False
    old = rng.choice(names)
    options = [
        a for a in d.renames[old] if a != old and not re.search(rf"\b{re.escape(a)}\b", text)
    ]
    if not options:
        return False
    new = rng.choice(options)
    pat = re.compile(rf"(?<![\w']){re.escape(old)}(?![\w'])")
    d.paras = [[pat.sub(new, s) for s in p] for p in d.paras]
    d.renames = {(new if k == old else k): v for k, v in d.renames.items()}
    return True


_COMMENT = {"python": "# {}", "cpp": "// {}", "matlab": "% {}", "lean": "-- {}", "coq": "(* {} *)"}
_COMMENTS = (
    "TODO: handle the degenerate case",
    "see the notes for the derivation",
    "kept simple on purpose",
    "tested against the reference implementation",
    "FIXME: check convergence for ill-conditioned input",
)


def _op_comment(rng: random.Random, d: _Draft) -> bool:
    i = rng.randrange(len(d.paras))
    line = _COMMENT[d.code_lang].format(rng.choice(_COMMENTS))
    d.paras[i] = [line + "\n" + d.paras[i][0]]
    return True


def _op_code_constant(rng: random.Random, d: _Draft) -> bool:
    text = d.text()
    tols = sorted(set(re.findall(r"\b\d+e-\d+\b", text)))
    if tols and rng.random() < 0.6:
        old = rng.choice(tols)
        new = rng.choice([t for t in ("1e-6", "1e-7", "1e-8", "1e-10", "1e-12") if t != old])
        d.paras = [[re.sub(rf"\b{re.escape(old)}\b", new, s) for s in p] for p in d.paras]
        return True
    return _op_number(rng, d)


_Op = Callable[[random.Random, _Draft], bool]
_PROSE_OPS: tuple[tuple[_Op, int], ...] = (
    (_op_swap, 3),
    (_op_synonyms, 3),
    (_op_number, 2),
    (_op_add, 1),
    (_op_drop, 1),
)
# Edits per style with weights: reordering, synonyms and numbers keep a sentence embedding within
# ~0.9 of the original; adding or dropping a whole sentence moves it more, so it is rarer.
_OPS: dict[str, tuple[tuple[_Op, int], ...]] = {
    "web": _PROSE_OPS,
    "wiki": _PROSE_OPS,
    "latex": _PROSE_OPS,
    "qa": ((_op_qa_context, 2), (_op_synonyms, 1)),
    "code": ((_op_rename, 2), (_op_code_constant, 2), (_op_comment, 1)),
}


def _pick_ops(rng: random.Random, weighted: Sequence[tuple[_Op, int]], k: int) -> list[_Op]:
    """``k`` different ops, drawn by weight."""
    pool = list(weighted)
    picked: list[_Op] = []
    while pool and len(picked) < k:
        op = rng.choices([o for o, _ in pool], weights=[w for _, w in pool])[0]
        picked.append(op)
        pool = [(o, w) for o, w in pool if o is not op]
    return picked


def paraphrase_variant(rng: random.Random, draft: _Draft) -> str | None:
    """Apply two (sometimes three) content-preserving edits to a copy of ``draft``.

    None if no edit applied (e.g. nothing to rename).
    """
    for _ in range(10):
        d = copy.copy(draft)
        d.paras = [list(p) for p in draft.paras]
        d.renames = dict(draft.renames)
        applied = 0
        for op in _pick_ops(rng, _OPS[draft.style], 3 if rng.random() < 0.25 else 2):
            applied += op(rng, d)
        text = d.text()
        if applied and text != draft.text():
            return text
    return None


# ---------------------------------------------------------------------------------------------
# Keeping unrelated documents apart
# ---------------------------------------------------------------------------------------------


def shingles(text: str, k: int = 5) -> set[str]:
    """Word k-shingles of ``text`` (lowercased, split on whitespace)."""
    words = text.lower().split()
    if len(words) < k:
        return {" ".join(words)}
    return {" ".join(words[i : i + k]) for i in range(len(words) - k + 1)}


class _ShingleGuard:
    """Admits a text only if it shares at most ``limit`` of its shingles with each earlier one."""

    def __init__(self, limit: float = _MAX_SHARED_SHINGLES) -> None:
        self.limit = limit
        self.sizes: list[int] = []
        self.postings: dict[str, list[int]] = {}

    def admit(self, text: str) -> bool:
        sh = shingles(text)
        hits: Counter[int] = Counter()
        for s in sh:
            hits.update(self.postings.get(s, ()))
        for idx, common in hits.items():
            if common > self.limit * min(len(sh), self.sizes[idx]):
                return False
        idx = len(self.sizes)
        self.sizes.append(len(sh))
        for s in sh:
            self.postings.setdefault(s, []).append(idx)
        return True


# ---------------------------------------------------------------------------------------------
# Near-duplicates for fuzzy dedup
# ---------------------------------------------------------------------------------------------

_MONTHS = {
    "en": ("January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December"),
    "ru": ("января", "февраля", "марта", "апреля", "мая", "июня", "июля", "августа",
           "сентября", "октября", "ноября", "декабря"),
}  # fmt: skip
_YEAR = re.compile(r"(?<!\d)(19[5-9]\d|20[0-2]\d)(?!\d)")
_WORD = re.compile(r"[^\W\d_]{4,}")


def _date(rng: random.Random, lang: str) -> str:
    day, month, year = rng.randint(1, 28), rng.randrange(12), rng.randint(2015, 2025)
    if lang == "ru":
        return f"{day} {_MONTHS['ru'][month]} {year} г."
    return f"{_MONTHS['en'][month]} {day}, {year}"


def _header_footer(rng: random.Random, d: _Draft, where: str) -> str:
    """A boilerplate line such as sites, wikis, preprint servers and repositories add."""
    lang = "ru" if d.lang == "ru" else "en"
    if d.style == "code":
        text = {
            "header": ("SPDX-License-Identifier: MIT", f"Copyright (c) {rng.randint(2015, 2025)}"
                       " the project authors", "Generated file: do not edit by hand"),
            "footer": ("end of file", "vim: set ts=4 sw=4 et:", "Last reviewed "
                       f"{rng.randint(2015, 2025)}-{rng.randint(1, 12):02d}"),
        }[where]  # fmt: skip
        return _COMMENT[d.code_lang].format(rng.choice(text))
    if d.style == "latex":
        if where == "header":
            return f"% arXiv:{rng.randint(15, 25)}{rng.randint(1, 12):02d}.{rng.randint(1000, 29999):05d}v{rng.randint(2, 4)}"
        return f"% Compiled on {_date(rng, 'en')}."
    lines = {
        ("header", "ru"): ("Опубликовано: {date}", "Главная › Статьи › Материалы",
                           "Материал из Википедии — свободной энциклопедии"),
        ("header", "en"): ("Posted on {date}", "Home › Articles › Archive",
                           "From Wikipedia, the free encyclopedia"),
        ("footer", "ru"): ("Поделиться: ВКонтакте · Telegram · WhatsApp",
                           "Последнее изменение страницы: {date}",
                           "© {year} Все права защищены."),
        ("footer", "en"): ("Share this: Facebook · Twitter · Email",
                           "This page was last edited on {date}.",
                           "© {year} All rights reserved."),
    }[where, lang]  # fmt: skip
    return rng.choice(lines).format(date=_date(rng, lang), year=rng.randint(2015, 2025))


def _replace_words(rng: random.Random, text: str) -> str | None:
    """Two or three words replaced by other words of the same text (an editor's small changes)."""
    spans = [m.span() for m in _WORD.finditer(text)]
    if len(spans) < 12:
        return None
    words = sorted({text[a:b] for a, b in spans})
    out = text
    for a, b in sorted(rng.sample(spans, rng.randint(2, 3)), reverse=True):
        other = rng.choice([w for w in words if w.lower() != text[a:b].lower()] or words)
        out = out[:a] + other + out[b:]
    return out


def _change_date(rng: random.Random, text: str) -> str | None:
    """A year in the text moved by one to three years (a date updated); without a year, another
    number changed (a day, a count, a version)."""
    years = list(_YEAR.finditer(text))
    if years:
        m = rng.choice(years)
        value = str(int(m.group(1)) + rng.choice((-3, -2, -1, 1, 2, 3)))
    else:
        numbers = list(_NUMBER.finditer(text))
        if not numbers:
            return None
        m = rng.choice(numbers)
        value = str(int(m.group(1)) + rng.randint(1, 9))
    return text[: m.start(1)] + value + text[m.end(1) :]


def near_duplicate_variant(rng: random.Random, draft: _Draft, edit: str) -> str | None:
    """``draft``'s text with one ``edit`` (:data:`NEAR_DUPLICATE_EDITS`), or None if it does not
    apply (no sentence to spare, no year, too few words)."""
    text = draft.text()
    if edit in ("sentence_added", "sentence_removed"):
        d = copy.deepcopy(draft)
        done = (_op_add if edit == "sentence_added" else _op_drop)(rng, d)
        return d.text() if done else None
    if edit == "header":
        return _header_footer(rng, draft, "header") + "\n" + text
    if edit == "footer":
        return (
            text.rstrip("\n")
            + "\n"
            + _header_footer(rng, draft, "footer")
            + "\n" * text.endswith("\n")
        )
    if edit == "words_replaced":
        return _replace_words(rng, text) if draft.style != "code" else None
    if edit == "date_changed":
        return _change_date(rng, text)
    raise ValueError(f"unknown near-duplicate edit {edit!r}")


def _near_duplicates(
    docs: list[_Doc], drafts: list[_Draft], n: int, rng: random.Random, seen: set[str]
) -> list[_Doc]:
    """``n`` near_duplicate copies of distinct originals (``drafts[i]`` made ``docs[i]``), with
    ids after the domain's others in a random order; each records its edit and true Jaccard."""
    pool = list(range(len(drafts)))
    rng.shuffle(pool)
    made: list[_Doc] = []
    for orig in pool:
        if len(made) == n:
            break
        src = docs[orig]
        edits = list(NEAR_DUPLICATE_EDITS)
        rng.shuffle(edits)
        for edit in edits:
            text = near_duplicate_variant(rng, drafts[orig], edit)
            if text and text not in seen and len(text) >= SHORT:
                break
        else:
            continue
        seen.add(text)
        made.append(_Doc(text, src.source, src.lang, src.topic, "near_duplicate", orig,
                         src.group, edit=edit))  # fmt: skip
    if made:
        jac = minhash.jaccard_pairs([d.text for d in made], [docs[d.copy_of].text for d in made],
                                    FuzzyDedupConfig())  # fmt: skip
        for d, j in zip(made, jac, strict=True):
            d.jaccard = round(float(j), 4)
    prefix = docs[0].doc_id.rsplit("-", 1)[0]
    numbers = rng.sample(range(len(docs), len(docs) + len(made)), len(made))
    for d, k in zip(made, numbers, strict=True):
        d.doc_id = f"{prefix}-{k:06d}"
    return made


# ---------------------------------------------------------------------------------------------
# Building a domain
# ---------------------------------------------------------------------------------------------


@dataclass
class _Doc:
    text: str
    source: str
    lang: str
    topic: str
    kind: str | None = None  # None: an original
    copy_of: int | None = None  # index of the original in the domain's list
    group: int | None = None
    doc_id: str = ""
    edit: str = ""  # near_duplicate: which edit (NEAR_DUPLICATE_EDITS)
    jaccard: float | None = None  # near_duplicate: true word 5-gram Jaccard with the original


@dataclass
class _Plan:
    originals: int
    exact: int
    near: int
    para: int
    junk: int
    other: int


def _domain_size(mix: _Mix, scale: float) -> int:
    return max(30, round(mix.size * scale))


def _part(n: int, frac: float) -> int:
    """Documents of a kind that makes ``frac`` of a domain of ``n`` (at least 3 when planted)."""
    return max(3, round(n * frac)) if frac > 0 else 0


def _plan(mix: _Mix, scale: float) -> _Plan:
    n = _domain_size(mix, scale)
    fracs = (mix.exact, mix.near, mix.para, mix.junk, mix.other)
    counts = [_part(n, f) for f in fracs]
    return _Plan(n - sum(counts), *counts)


class _DomainBuilder:
    def __init__(self, domain: str, rng: random.Random, seen: set[str], groups: list[int]) -> None:
        self.domain = domain
        self.rng = rng
        self.seen = seen  # every text in the corpus so far: planted copies aside, texts are unique
        self.groups = groups  # one-element counter shared by all domains
        self.docs: list[_Doc] = []
        self.drafts: list[_Draft] = []  # drafts[i] belongs to docs[i] for originals
        self.guard = _ShingleGuard(_GUARD_LIMITS.get(domain, _MAX_SHARED_SHINGLES))

    def _add(self, doc: _Doc) -> int:
        self.docs.append(doc)
        if doc.kind != "exact":
            self.seen.add(doc.text)
        return len(self.docs) - 1

    def _unique(self, make: Callable[[], _Draft], check: Callable[[str], bool]) -> _Draft:
        for _ in range(_MAX_TRIES):
            d = make()
            text = d.text()
            if text not in self.seen and check(text) and self.guard.admit(text):
                return d
        raise RuntimeError(f"could not make a new distinct {self.domain} document")

    def originals(self, n: int) -> None:
        maker = _MAKERS[self.domain]
        for _ in range(n):
            lang = (
                ("ru" if self.rng.random() < 0.55 else "en")
                if self.domain in ("cc", "wiki")
                else "en"
            )
            d = self._unique(lambda lang=lang: maker(self.rng, lang), lambda t: len(t) >= SHORT)
            self.drafts.append(d)
            self._add(_Doc(d.text(), d.source, d.lang, d.topic))

    def junk(self, n: int) -> None:
        for _ in range(n):
            lang = "ru" if self.rng.random() < 0.5 else "en"
            d = self._unique(
                lambda lang=lang: _junk_draft(self.rng, lang), lambda t: len(t) < SHORT
            )
            self._add(_Doc(d.text(), d.source, d.lang, d.topic, kind="short_junk"))

    def other_languages(self, n: int) -> None:
        langs = [lang for lang, _ in B.OTHER_LANG_WEIGHTS]
        weights = [w for _, w in B.OTHER_LANG_WEIGHTS]
        for _ in range(n):
            lang = self.rng.choices(langs, weights=weights)[0]
            d = self._unique(
                lambda lang=lang: _other_draft(self.rng, lang), lambda t: len(t) >= SHORT
            )
            self._add(_Doc(d.text(), d.source, d.lang, d.topic, kind="other_lang"))

    def paraphrases(self, n: int, variants: tuple[int, ...]) -> None:
        pool = list(range(len(self.drafts)))
        self.rng.shuffle(pool)
        made = 0
        while made < n and pool:
            orig = pool.pop()
            want = min(self.rng.choice(variants), n - made)
            texts: list[str] = []
            for _ in range(want * 4):
                t = paraphrase_variant(self.rng, self.drafts[orig])
                if t and t not in self.seen and t not in texts and len(t) >= SHORT:
                    texts.append(t)
                if len(texts) == want:
                    break
            if not texts:
                continue
            self.groups[0] += 1
            g = self.groups[0]
            self.docs[orig].group = g
            src = self.docs[orig]
            for t in texts:
                self._add(_Doc(t, src.source, src.lang, src.topic, "paraphrase", orig, g))
            made += len(texts)

    def near_exact(self, n: int) -> None:
        pool = list(range(len(self.drafts)))
        self.rng.shuffle(pool)
        made = 0
        for orig in pool:
            if made == n:
                break
            src = self.docs[orig]
            t = near_exact_variant(self.rng, src.text, self.drafts[orig].style)
            if t is None or t in self.seen:
                continue
            self._add(_Doc(t, src.source, src.lang, src.topic, "near_exact", orig, src.group))
            made += 1

    def exact(self, n: int) -> None:
        sources = [
            i for i, d in enumerate(self.docs) if d.kind in (None, "short_junk", "other_lang")
        ]
        for _ in range(n):
            orig = self.rng.choice(sources)
            src = self.docs[orig]
            self._add(_Doc(src.text, src.source, src.lang, src.topic, "exact", orig, src.group))

    def finish(self) -> list[_Doc]:
        """Give ids in a random order (so ids say nothing about planting)."""
        prefix = f"demo-{self.domain}"
        numbers = self.rng.sample(range(len(self.docs)), len(self.docs))
        for doc, k in zip(self.docs, numbers, strict=True):
            doc.doc_id = f"{prefix}-{k:06d}"
        return self.docs


def _build_domain(
    domain: str, scale: float, seed: int, seen: set[str], groups: list[int]
) -> tuple[list[_Doc], list[_Doc]]:
    """(the domain's documents, its near_duplicate copies: made after the others, from their own
    random stream, so that they change nothing else)."""
    mix = MIXES[domain]
    plan = _plan(mix, scale)
    b = _DomainBuilder(domain, random.Random(f"{seed}:{domain}"), seen, groups)
    b.originals(plan.originals)
    b.junk(plan.junk)
    b.other_languages(plan.other)
    b.paraphrases(plan.para, mix.variants)
    b.near_exact(plan.near)
    b.exact(plan.exact)
    docs = b.finish()
    count = _part(_domain_size(mix, scale), mix.fuzzy)
    rng = random.Random(f"{seed}:{domain}:near_duplicate")
    return docs, _near_duplicates(docs, b.drafts, count, rng, seen)


# ---------------------------------------------------------------------------------------------
# Writing
# ---------------------------------------------------------------------------------------------


def _write_gz_lines(path: Path, rows: Iterable[dict[str, object]]) -> None:
    """Deterministic gzip JSONL (no file name or time in the header), written atomically."""
    data = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows).encode("utf-8")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(gzip.compress(data, compresslevel=6, mtime=0))
    os.replace(tmp, path)


def _shard(rng: random.Random, docs: list[_Doc], k: int) -> list[list[_Doc]]:
    order = rng.sample(docs, len(docs))
    size = -(-len(order) // k)
    return [order[i * size : (i + 1) * size] for i in range(k)]


def _insert(rng: random.Random, shards: list[list[_Doc]], extra: list[_Doc]) -> None:
    """Put each of ``extra`` at a random place of a random shard (the others keep their order)."""
    for doc in extra:
        shard = rng.choice(shards)
        shard.insert(rng.randint(0, len(shard)), doc)


def _truth_rows(domain: str, docs: list[_Doc]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(truth lines for the planted documents, catalogue lines for all), sorted by id."""
    truth: list[dict[str, Any]] = []
    catalogue: list[dict[str, Any]] = []
    for d in sorted(docs, key=lambda d: d.doc_id):
        catalogue.append({"id": d.doc_id, "domain": domain, "lang": d.lang, "topic": d.topic})
        if d.kind is not None:
            copy_of = docs[d.copy_of].doc_id if d.copy_of is not None else None
            row = {
                "id": d.doc_id,
                "kind": d.kind,
                "copy_of": copy_of,
                "group": d.group,
                "lang": d.lang,
            }
            if d.kind == "near_duplicate":
                row.update(edit=d.edit, jaccard=d.jaccard)
            truth.append(row)
    return truth, catalogue


def generate(out_dir: Path, scale: float = 1.0, seed: int = DEFAULT_SEED) -> dict[str, Any]:
    """Write the demo corpus and its ground truth under ``out_dir``; return the counts.

    The summary is ``{"seed", "scale", "total", "docs": {domain: n}, "kinds": {domain: {kind: n}},
    "langs": {domain: {lang: n}}}`` (kind ``original`` counts the unplanted documents).
    """
    if not scale > 0:
        raise ValueError(f"scale must be positive, got {scale!r}")
    out_dir = Path(out_dir)
    seen: set[str] = set()
    groups = [0]
    truth: list[dict[str, Any]] = []
    catalogue: list[dict[str, Any]] = []
    summary: dict[str, Any] = {"seed": seed, "scale": scale, "docs": {}, "kinds": {}, "langs": {}}
    for domain in DOMAINS:
        docs, near = _build_domain(domain, scale, seed, seen, groups)
        shard_rng = random.Random(f"{seed}:{domain}:shards")
        shards = _shard(shard_rng, docs, MIXES[domain].shards)
        _insert(random.Random(f"{seed}:{domain}:near_duplicate:shards"), shards, near)
        docs = docs + near
        for i, shard in enumerate(shards):
            rows = ({"id": d.doc_id, "text": d.text, "source": d.source} for d in shard)
            _write_gz_lines(out_dir / domain / f"part-{i:05d}.jsonl.gz", rows)
        domain_truth, domain_catalogue = _truth_rows(domain, docs)
        truth += domain_truth
        catalogue += domain_catalogue
        counted = Counter(d.kind or "original" for d in docs)
        summary["docs"][domain] = len(docs)
        summary["kinds"][domain] = {k: counted[k] for k in ("original", *KINDS) if counted[k]}
        summary["langs"][domain] = dict(sorted(Counter(d.lang for d in docs).items()))
    summary["total"] = sum(summary["docs"].values())
    _write_gz_lines(out_dir / TRUTH_DIR / "truth.jsonl.gz", truth)
    _write_gz_lines(out_dir / TRUTH_DIR / "docs.jsonl.gz", catalogue)
    text = json.dumps(summary, indent=2, sort_keys=True) + "\n"
    (out_dir / TRUTH_DIR / "summary.json").write_text(text, encoding="utf-8")
    return summary


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m curation.demo.corpus OUT [--scale S] [--seed N]``."""
    parser = argparse.ArgumentParser(
        prog="python -m curation.demo.corpus",
        description="Write the generated demo corpus (five domains plus _truth/) to OUT.",
    )
    parser.add_argument("out", type=Path, help="output folder (created if missing)")
    parser.add_argument(
        "--scale", type=float, default=1.0, help="multiply document counts (default 1)"
    )
    parser.add_argument(
        "--seed", type=int, default=DEFAULT_SEED, help=f"seed (default {DEFAULT_SEED})"
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    summary = generate(args.out, scale=args.scale, seed=args.seed)
    log.info(
        "wrote %d documents to %s (seed %d, scale %g)",
        summary["total"],
        args.out,
        args.seed,
        args.scale,
    )
    for domain, n in summary["docs"].items():
        detail = ", ".join(f"{k} {v}" for k, v in summary["kinds"][domain].items())
        log.info("  %-16s %5d  (%s)", domain, n, detail)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
