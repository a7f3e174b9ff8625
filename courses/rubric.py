"""The rule every question's rubric bands must obey, shared by models, admin and importer.

It also holds the ranges a question's points, word limits and band bounds must lie in. The
database enforces the same ranges (check constraints on Question and RubricBand), so a value
this rule accepts can always be stored, and a question can never be worth so many points that
pages iterating over its scores stall.
"""

import math
from collections.abc import Iterable
from dataclasses import dataclass

POINTS_MIN, POINTS_MAX = 1, 1_000
# A minimum of 0 words means "no minimum"; a maximum must allow at least one word.
MIN_WORDS_MIN, MAX_WORDS_MIN, WORDS_MAX = 0, 1, 10_000
LABEL_MAX = 60
CRITERIA_MAX = 20  # criteria in one analytic rubric
CRITERION_TEXT_MAX = 500


@dataclass(frozen=True)
class BandSpec:
    label: str
    min_points: int
    max_points: int


def rubric_errors(bands: Iterable[BandSpec], points: int) -> list[str]:
    """Readable problems with a set of bands for a question worth `points`.

    Bands must have distinct labels, each range must lie within 0..points,
    and together the ranges must cover every score from 0 to points exactly once.
    """
    bands = list(bands)
    errors: list[str] = points_errors(points)
    if errors:
        return errors  # bands cannot be judged against points that are themselves out of range
    if not bands:
        return ["A question needs at least one rubric band."]
    seen: set[str] = set()
    for band in bands:
        key = band.label.strip().casefold()
        if not key:
            errors.append("Every band needs a label.")
        elif len(band.label) > LABEL_MAX:
            errors.append(f"The label {shown(band.label)} is {len(band.label)} characters; the limit is {LABEL_MAX}.")
        elif key in seen:
            errors.append(f"The label {band.label!r} is used by more than one band.")
        seen.add(key)
        if band.min_points < 0:
            errors.append(f"{band.label}: the lowest score cannot be below 0.")
        if band.min_points > band.max_points:
            errors.append(
                f"{band.label}: the lowest score ({number(band.min_points)}) is above the highest "
                f"({number(band.max_points)})."
            )
        if band.max_points > points:
            errors.append(
                f"{band.label}: the highest score ({number(band.max_points)}) is above the question's {points} points."
            )
    if errors:
        return errors
    ordered = sorted(bands, key=lambda b: b.min_points)
    expected = 0
    for band in ordered:
        if band.min_points > expected:
            errors.append(f"No band covers {_range(expected, band.min_points - 1)}.")
        elif band.min_points < expected:
            errors.append(f"{band.label} overlaps the band below it at {_range(band.min_points, expected - 1)}.")
        expected = max(expected, band.max_points + 1)
    if expected <= points:
        errors.append(f"No band covers {_range(expected, points)}.")
    return errors


@dataclass(frozen=True)
class CriterionSpec:
    """One row of an analytic rubric: what is judged, the most it earns, and optional level descriptors."""

    description: str
    max_points: int
    levels: str = ""


def criteria_errors(criteria: Iterable[CriterionSpec], points: int) -> list[str]:
    """Readable problems with an analytic rubric for a question worth `points`.

    Each criterion needs a description and is worth 1..points; together they are worth exactly
    `points`, so the sum of a TA's criterion scores can never pass what the question is worth.
    """
    criteria = list(criteria)
    errors: list[str] = points_errors(points)
    if errors:
        return errors
    if not criteria:
        return ["An analytic rubric needs at least one criterion."]
    if len(criteria) > CRITERIA_MAX:
        return [f"An analytic rubric has at most {CRITERIA_MAX} criteria, not {len(criteria)}."]
    for position, criterion in enumerate(criteria, start=1):
        name = f"Criterion {position}"
        if not criterion.description.strip():
            errors.append(f"{name} needs a description.")
        elif len(criterion.description) > CRITERION_TEXT_MAX:
            errors.append(f"{name}'s description is {len(criterion.description):,} characters; the limit is "
                          f"{CRITERION_TEXT_MAX}.")
        if not 1 <= criterion.max_points <= points:
            errors.append(f"{name} is worth {number(criterion.max_points)} points; each is worth 1 to {points}.")
    if errors:
        return errors
    total = sum(criterion.max_points for criterion in criteria)
    if total != points:
        errors.append(f"The criteria add up to {total} points but the question is worth {points}.")
    return errors


def points_errors(points: int) -> list[str]:
    """Readable problems with what a question is worth."""
    if not POINTS_MIN <= points <= POINTS_MAX:
        return [f"A question is worth {POINTS_MIN} to {POINTS_MAX:,} points, not {number(points)}."]
    return []


def word_limit_errors(min_words: int, max_words: int) -> list[str]:
    """Readable problems with a question's word limits."""
    errors = []
    if not MIN_WORDS_MIN <= min_words <= WORDS_MAX:
        errors.append(f"The minimum length is {MIN_WORDS_MIN} to {WORDS_MAX:,} words, not {number(min_words)}.")
    if not MAX_WORDS_MIN <= max_words <= WORDS_MAX:
        errors.append(f"The maximum length is {MAX_WORDS_MIN} to {WORDS_MAX:,} words, not {number(max_words)}.")
    if not errors and min_words > max_words:
        errors.append(f"The word range {min_words}-{max_words} runs backwards.")
    return errors


def number(value: int) -> str:
    """An integer for a message; one too long to read is shortened (a notebook can hold thousands of digits)."""
    if abs(value) < 10**15:
        return str(value)
    return f"{'-' if value < 0 else ''}about 10^{int(abs(value).bit_length() * 0.30103)}"


def shown(text: str, limit: int = 40) -> str:
    """A quoted piece of user text for a message, cut to `limit` characters."""
    return repr(text if len(text) <= limit else text[:limit] + "…")


@dataclass(frozen=True)
class StandardBand:
    """One of the course's five rubric bands: its label, its lowest score as a share of the points
    (None: one point, the lowest that still earns credit), and what it stands for."""

    label: str
    lowest_share: float | None
    description: str


# The course's standard bands, best first: EXCELLENT 9–10, GOOD 7–8, SATISFACTORY 5–6, NEEDS IMPROVEMENT 1–4,
# NO CREDIT 0 on ten points. The one statement of them; everything else scales them with standard_bands().
STANDARD_BANDS = (
    StandardBand("EXCELLENT", 0.9, "- Deep, specific and technically accurate; connects the code to real systems."),
    StandardBand("GOOD", 0.7, "- Accurate with some depth and some connection to real systems."),
    StandardBand("SATISFACTORY", 0.5, "- Basic understanding without specific technical depth."),
    StandardBand("NEEDS IMPROVEMENT", None, "- Minimal, unclear or inaccurate understanding."),
    StandardBand("NO CREDIT", 0.0, "- No response, off-topic, or fundamentally incorrect."),
)


@dataclass(frozen=True)
class ScaledBand:
    """A standard band scaled to a question's points."""

    label: str
    min_points: int
    max_points: int
    description: str

    def spec(self) -> BandSpec:
        return BandSpec(self.label, self.min_points, self.max_points)


def standard_bands(points: int = 10) -> list[ScaledBand]:
    """The standard bands scaled to `points`, best first; bands too narrow to exist are left out.

    On 10 points they are exactly the course's 9–10, 7–8, 5–6, 1–4 and 0.
    """
    bands: list[ScaledBand] = []
    ceiling = points
    for band in STANDARD_BANDS:
        low = 1 if band.lowest_share is None else math.ceil(round(band.lowest_share * points, 6))
        if band.lowest_share == 0.0:
            low = 0
        if low > ceiling or (bands and low >= bands[-1].min_points):
            continue
        bands.append(ScaledBand(band.label, low, ceiling, band.description))
        ceiling = low - 1
    return bands


def band_for_score(bands: Iterable[BandSpec], score: int) -> BandSpec | None:
    """The band whose range holds `score`, if any."""
    for band in bands:
        if band.min_points <= score <= band.max_points:
            return band
    return None


def _range(low: int, high: int) -> str:
    return f"{low} points" if low == high else f"{low}–{high} points"
