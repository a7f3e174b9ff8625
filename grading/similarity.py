"""Near-duplicate answers within a question, and against the same question of earlier terms.

A signal for a person to read, never a penalty: pairs are stored for staff to look at and mark reviewed.

The maths: each answer becomes the set of its word 5-grams ("shingles": casefolded words, punctuation
dropped). Two answers' similarity is the Jaccard index of their shingle sets, |A ∩ B| / |A ∪ B|.
Comparing every pair is quadratic, so candidates come from MinHash signatures (PERMUTATIONS hash
functions, NumPy-vectorised over every shingle of every answer at once) cut into LSH bands: two answers
become candidates when all rows of one band agree. Every candidate is then confirmed with the exact
Jaccard index, so a flagged pair's figure is exact; LSH can only miss a pair, with the probabilities
given at `_rows_per_band`. (datasketch's MinHash and MinHashLSH do the same with Python calls per
answer: about nine times slower on 1,000 answers. bench/similarity.py prints the figures.)

Why 0.5 by default: answers written independently to the same prompt share few five-word runs (their
Jaccard index stays under 0.1 even when they use the same terms); changing one word in five-word runs
removes five shingles, so a copy whose every twentieth word was changed still scores about 0.6, and one
with a word changed every tenth word about 0.35. 0.5 flags copies with light edits and leaves honest
answers alone; staff may lower it down to THRESHOLD_MIN when they check.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np
from django.db import transaction
from django.db.models import Count, F, Max, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from courses.models import STAFF_ROLES, Course, EnrollmentStatus, Question, Response, ResponseStatus
from grading.models import SimilarityCheck, SimilarPair

SHINGLE_WORDS = 5
DEFAULT_THRESHOLD = 0.5
THRESHOLD_MIN = 0.3
THRESHOLD_MAX = 0.95
PERMUTATIONS = 126  # divisible by 2 and by 3, the two band widths used
SEED = 11
EARLIER_TERMS_MAX = 20  # how far back Course.copied_from is followed (and a guard against a cycle)

WORD = re.compile(r"\w+")


# ---- the maths --------------------------------------------------------------------------------------------------


def _normalised(text: str) -> str:
    # NFKC changes nothing in ASCII, and lower() is casefold() there: the common case skips both.
    return text.lower() if text.isascii() else unicodedata.normalize("NFKC", text).casefold()


def words_of(text: str) -> list[str]:
    """The normalised words of `text`: Unicode-compatibility folded, casefolded, punctuation dropped."""
    return WORD.findall(_normalised(text))


def shingles_of(text: str) -> set[tuple[str, ...]]:
    """The set of `text`'s word 5-grams (a shorter text is one shingle of all its words)."""
    words = words_of(text)
    if not words:
        return set()
    if len(words) < SHINGLE_WORDS:
        return {tuple(words)}
    return {tuple(words[i:i + SHINGLE_WORDS]) for i in range(len(words) - SHINGLE_WORDS + 1)}


def jaccard(text_a: str, text_b: str) -> float:
    """The exact Jaccard index of the two texts' shingle sets (0 when either has no words)."""
    a, b = shingles_of(text_a), shingles_of(text_b)
    if not a or not b:
        return 0.0
    return len(a & b) / len(a | b)


@dataclass(frozen=True)
class Match:
    """Texts `a` and `b` (indexes into current + earlier; `a` is always a current one) and their Jaccard index."""

    a: int
    b: int
    similarity: float


def _rows_per_band(threshold: float) -> int:
    """LSH band width for `threshold`: with r rows and b = PERMUTATIONS / r bands, a pair of Jaccard index s
    becomes a candidate with probability 1 − (1 − s^r)^b. At r = 3 (42 bands) that is 99.6 % at 0.5 and
    68 % at 0.3; at r = 2 (63 bands) 99.8 % at 0.3. Wider bands mean fewer false candidates to confirm."""
    return 3 if threshold >= 0.45 else 2


class _Shingled:
    """Every text's shingles as 64-bit hashes in one array; text i's are `hashes[starts[i]:ends[i]]`."""

    def __init__(self, texts: Sequence[str], rng: np.random.Generator):
        # Padding ("", never a word) keeps a shingle from running into the next text and gives a short text
        # one shingle.
        padding = [""] * (SHINGLE_WORDS - 1)
        every: list[str] = []
        starts, ends = [], []
        for text in texts:
            words = words_of(text)
            start = len(every)
            every.extend(words)
            every.extend(padding)
            starts.append(start)
            ends.append(start + max(len(words) - SHINGLE_WORDS + 1, 1) if words else start)
        vocabulary = {word: i for i, word in enumerate(dict.fromkeys(["", *every]))}
        word_hash = rng.integers(1, 2**63, size=len(vocabulary), dtype=np.uint64)
        word_hash[0] = 0
        hashed = word_hash[np.fromiter(map(vocabulary.__getitem__, every), dtype=np.int64, count=len(every))]
        multipliers = rng.integers(1, 2**63, size=SHINGLE_WORDS, dtype=np.uint64) | np.uint64(1)
        combined = np.zeros(max(len(hashed) - SHINGLE_WORDS + 1, 0), dtype=np.uint64)
        for k in range(SHINGLE_WORDS):
            combined += hashed[k:k + len(combined)] * multipliers[k]  # wraps modulo 2^64, as meant
        self.starts = np.asarray(starts, dtype=np.int64)
        self.ends = np.asarray(ends, dtype=np.int64)
        self.hashes = combined
        self._sets: dict[int, np.ndarray] = {}

    def unique(self, i: int) -> np.ndarray:
        if i not in self._sets:
            self._sets[i] = np.unique(self.hashes[self.starts[i]:self.ends[i]])
        return self._sets[i]

    def jaccard(self, i: int, j: int) -> float:
        a, b = self.unique(i), self.unique(j)
        shared = len(np.intersect1d(a, b, assume_unique=True))
        return shared / (len(a) + len(b) - shared)


def _signatures(shingled: _Shingled, docs: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """MinHash signatures (len(docs) × PERMUTATIONS) of the texts `docs`, which all have shingles.

    32-bit arithmetic, half the memory traffic of 64-bit: a signature only has to estimate, the exact
    Jaccard index is taken from the 64-bit shingle hashes.
    """
    lengths = shingled.ends[docs] - shingled.starts[docs]
    offsets = np.concatenate(([0], np.cumsum(lengths)[:-1]))
    # Gather the documents' shingles contiguously, so one reduceat per hash function takes every minimum.
    index = np.repeat(shingled.starts[docs] - offsets, lengths) + np.arange(lengths.sum())
    values = (shingled.hashes[index] >> np.uint64(32)).astype(np.uint32)
    multipliers = rng.integers(1, 2**32, size=PERMUTATIONS, dtype=np.uint32) | np.uint32(1)
    increments = rng.integers(0, 2**32, size=PERMUTATIONS, dtype=np.uint32)
    signatures = np.empty((len(docs), PERMUTATIONS), dtype=np.uint64)
    mixed = np.empty_like(values)
    for k in range(PERMUTATIONS):
        np.multiply(values, multipliers[k], out=mixed)  # wraps modulo 2^32, as meant
        mixed += increments[k]
        mixed ^= mixed >> np.uint32(15)
        signatures[:, k] = np.minimum.reduceat(mixed, offsets)
    return signatures


def _candidates(signatures: np.ndarray, rows: int) -> np.ndarray:
    """Pairs (i, j), i < j, of signature rows that agree on every row of at least one band, as an (n, 2) array."""
    found = [np.zeros((0, 2), dtype=np.int64)]
    weights = np.random.default_rng(SEED + 1).integers(1, 2**63, size=rows, dtype=np.uint64) | np.uint64(1)
    for start in range(0, PERMUTATIONS - rows + 1, rows):
        keys = (signatures[:, start:start + rows] * weights).sum(axis=1, dtype=np.uint64)
        order = np.argsort(keys, kind="stable")
        ordered = keys[order]
        run_starts = np.flatnonzero(np.concatenate(([True], ordered[1:] != ordered[:-1])))
        run_lengths = np.diff(np.append(run_starts, len(ordered)))
        # Runs of two (the usual case) at once; larger runs pair every member with every other.
        twos = run_starts[run_lengths == 2]
        found.append(np.stack([order[twos], order[twos + 1]], axis=1))
        for run_start, length in zip(run_starts[run_lengths > 2].tolist(), run_lengths[run_lengths > 2].tolist(),
                                     strict=True):
            group = order[run_start:run_start + length]
            left, right = np.triu_indices(length, k=1)
            found.append(np.stack([group[left], group[right]], axis=1))
    return np.unique(np.sort(np.concatenate(found), axis=1), axis=0)


def near_duplicates(current: Sequence[str], earlier: Sequence[str] = (), *,
                    threshold: float = DEFAULT_THRESHOLD) -> list[Match]:
    """Pairs of texts whose Jaccard index is at least `threshold`, most similar first.

    Pairs within `current`, and between `current` and `earlier` (texts of an earlier term), never two
    earlier ones. Indexes count `current` first, then `earlier`. Deterministic: the hash functions
    come from a fixed seed.
    """
    texts = [*current, *earlier]
    rng = np.random.default_rng(SEED)
    shingled = _Shingled(texts, rng)
    docs = np.flatnonzero(shingled.ends > shingled.starts)
    if len(docs) < 2:
        return []
    signatures = _signatures(shingled, docs, rng)
    pairs = docs[_candidates(signatures, _rows_per_band(threshold))]
    pairs = pairs[pairs[:, 0] < len(current)]  # the smaller index is the current text; two earlier ones never pair
    matches = []
    for a, b in pairs.tolist():
        similarity = shingled.jaccard(a, b)
        if similarity >= threshold:
            matches.append(Match(a=a, b=b, similarity=similarity))
    matches.sort(key=lambda m: (-m.similarity, m.a, m.b))
    return matches


# ---- shared passages --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Segment:
    """A stretch of an answer's text, marked when it lies in a word run both answers share."""

    text: str
    marked: bool


def _marked_segments(text: str, words: list[str], spans: list[tuple[int, int]],
                     shared: set[tuple[str, ...]]) -> list[Segment]:
    marked = [False] * len(words)
    for i in range(len(words) - SHINGLE_WORDS + 1):
        if tuple(words[i:i + SHINGLE_WORDS]) in shared:
            marked[i:i + SHINGLE_WORDS] = [True] * SHINGLE_WORDS
    segments: list[Segment] = []
    cursor = 0
    i = 0
    while i < len(words):
        if not marked[i]:
            i += 1
            continue
        j = i
        while j + 1 < len(words) and marked[j + 1]:
            j += 1
        start, end = spans[i][0], spans[j][1]
        if start > cursor:
            segments.append(Segment(text[cursor:start], False))
        segments.append(Segment(text[start:end], True))
        cursor = end
        i = j + 1
    if cursor < len(text):
        segments.append(Segment(text[cursor:], False))
    return segments


def _words_and_spans(text: str) -> tuple[list[str], list[tuple[int, int]]]:
    # Positions in the text as written; the words normalised as for the similarity itself.
    found = list(WORD.finditer(text))
    return ([_normalised(m.group(0)) for m in found], [m.span() for m in found])


def shared_passages(text_a: str, text_b: str) -> tuple[list[Segment], list[Segment]]:
    """Both texts cut into segments, the word runs of SHINGLE_WORDS or more that both contain marked.

    Linear in the texts' length (a set lookup per word), whatever their content.
    """
    words_a, spans_a = _words_and_spans(text_a)
    words_b, spans_b = _words_and_spans(text_b)
    grams_a = {tuple(words_a[i:i + SHINGLE_WORDS]) for i in range(len(words_a) - SHINGLE_WORDS + 1)}
    grams_b = {tuple(words_b[i:i + SHINGLE_WORDS]) for i in range(len(words_b) - SHINGLE_WORDS + 1)}
    shared = grams_a & grams_b
    return (_marked_segments(text_a, words_a, spans_a, shared), _marked_segments(text_b, words_b, spans_b, shared))


# ---- checking a question, and reading the results ---------------------------------------------------------------


def earlier_questions(question: Question) -> list[Question]:
    """The same question in the terms this course was copied from: matched by module number and grade_id.

    One query per earlier term to follow Course.copied_from, and one for the questions.
    """
    own = question.module.course_id
    course_ids: list[int] = []
    course_id = question.module.course.copied_from_id
    while course_id is not None and course_id != own and course_id not in course_ids \
            and len(course_ids) < EARLIER_TERMS_MAX:
        course_ids.append(course_id)
        course_id = Course.objects.filter(pk=course_id).values_list("copied_from_id", flat=True).first()
    if not course_ids:
        return []
    return list(Question.objects.filter(module__course_id__in=course_ids, module__number=question.module.number,
                                        grade_id=question.grade_id))


class SimilarityError(Exception):
    """A check that can't be run as asked, with a message for staff; nothing was written."""


@transaction.atomic
def similar_answers_check(*, question: Question, actor=None, threshold: float = DEFAULT_THRESHOLD,
                          now: datetime | None = None) -> SimilarityCheck:
    """Compare the question's submitted answers with each other and with earlier terms'; store the pairs.

    Idempotent: the question's pairs are replaced by what this check finds, except that a pair staff
    have reviewed is kept (with its similarity brought up to date) so their note is never lost.
    Checks of one question run one at a time (the question row is locked).
    """
    if not THRESHOLD_MIN <= threshold <= THRESHOLD_MAX:
        raise SimilarityError(f"Choose a threshold between {THRESHOLD_MIN} and {THRESHOLD_MAX}.")
    now = now or timezone.now()
    Question.objects.select_for_update().filter(pk=question.pk).first()
    current = list(Response.objects.filter(question=question, status=ResponseStatus.SUBMITTED)
                   .order_by("pk").values_list("pk", "submitted_text"))
    earlier_ids = [q.pk for q in earlier_questions(question)]
    earlier = list(Response.objects.filter(question_id__in=earlier_ids, status=ResponseStatus.SUBMITTED)
                   .order_by("pk").values_list("pk", "submitted_text")) if earlier_ids else []
    ids = [pk for pk, _text in current] + [pk for pk, _text in earlier]
    texts = dict(current + earlier)
    found: dict[tuple[int, int], float] = {}
    for match in near_duplicates([t for _pk, t in current], [t for _pk, t in earlier], threshold=threshold):
        a, b = ids[match.a], ids[match.b]
        if match.b < len(current) and b < a:
            a, b = b, a
        found[a, b] = match.similarity

    existing = {(p.response_a_id, p.response_b_id): p for p in SimilarPair.objects.filter(question=question)}
    kept = []
    for key, pair in existing.items():
        if key in found:
            pair.similarity = found.pop(key)
        elif pair.reviewed and key[0] in texts and key[1] in texts:
            pair.similarity = jaccard(texts[key[0]], texts[key[1]])
        else:
            continue
        pair.computed_at = now
        kept.append(pair)
    kept_ids = {pair.pk for pair in kept}
    SimilarPair.objects.filter(pk__in=[p.pk for p in existing.values() if p.pk not in kept_ids]).delete()
    SimilarPair.objects.bulk_update(kept, ["similarity", "computed_at"])
    SimilarPair.objects.bulk_create(
        SimilarPair(question=question, response_a_id=a, response_b_id=b, similarity=similarity, computed_at=now)
        for (a, b), similarity in found.items()
    )
    check, _created = SimilarityCheck.objects.update_or_create(question=question, defaults={
        "checked_at": now, "checked_by": actor, "threshold": threshold, "answers": len(current),
        "earlier_answers": len(earlier), "pairs": len(kept) + len(found),
    })
    return check


def questions_due_for_check() -> QuerySet[Question]:
    """Questions with two or more submitted answers and a submission since their last check (or never checked)."""
    return (
        Question.objects.annotate(
            answers=Count("responses", filter=Q(responses__status=ResponseStatus.SUBMITTED)),
            latest=Max("responses__submitted_at", filter=Q(responses__status=ResponseStatus.SUBMITTED)),
        )
        .filter(answers__gte=2)
        .filter(Q(similarity_check__isnull=True) | Q(latest__gt=F("similarity_check__checked_at")))
        .order_by("pk")
    )


def _staff_filter(prefix: str, user) -> dict:
    return {
        f"{prefix}module__course__enrollments__user": user,
        f"{prefix}module__course__enrollments__role__in": STAFF_ROLES,
        f"{prefix}module__course__enrollments__status": EnrollmentStatus.ACTIVE,
    }


def pair_for_staff(user, pk: int) -> SimilarPair:
    """A pair with both answers, their questions and courses, and its reviewer; 404 unless the user is staff
    of the pair's question's course (the earlier term's staff need not be)."""
    pair = (
        SimilarPair.objects.select_related(
            "question__module__course", "response_a", "response_b__question__module__course", "reviewed_by",
        )
        .filter(pk=pk, **_staff_filter("question__", user))
        .first()
    )
    if pair is None:
        raise Http404("No such pair.")
    return pair


def question_pairs(question: Question) -> QuerySet[SimilarPair]:
    """The question's pairs, most similar first, with both answers, the earlier term's course and the reviewer."""
    return (
        SimilarPair.objects.filter(question=question)
        .select_related("response_a", "response_b__question__module__course", "reviewed_by")
        .order_by("-similarity", "pk")
    )


@transaction.atomic
def similar_pair_review(*, pair: SimilarPair, actor, reviewed: bool, note: str,
                        now: datetime | None = None) -> SimilarPair:
    """Record whether a person has read the pair, and what they made of it."""
    locked = SimilarPair.objects.select_for_update().get(pk=pair.pk)
    locked.reviewed, locked.note = reviewed, note
    locked.reviewed_by, locked.reviewed_at = actor, now or timezone.now()
    locked.save(update_fields=["reviewed", "note", "reviewed_by", "reviewed_at"])
    return locked
