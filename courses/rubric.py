"""The rule every question's rubric bands must obey, shared by models, admin and importer."""

from collections.abc import Iterable
from dataclasses import dataclass


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
    errors: list[str] = []
    if not bands:
        return ["A question needs at least one rubric band."]
    seen: set[str] = set()
    for band in bands:
        key = band.label.strip().casefold()
        if not key:
            errors.append("Every band needs a label.")
        elif key in seen:
            errors.append(f"The label {band.label!r} is used by more than one band.")
        seen.add(key)
        if band.min_points < 0:
            errors.append(f"{band.label}: the lowest score cannot be below 0.")
        if band.min_points > band.max_points:
            errors.append(
                f"{band.label}: the lowest score ({band.min_points}) is above the highest ({band.max_points})."
            )
        if band.max_points > points:
            errors.append(
                f"{band.label}: the highest score ({band.max_points}) is above the question's {points} points."
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


def band_for_score(bands: Iterable[BandSpec], score: int) -> BandSpec | None:
    """The band whose range holds `score`, if any."""
    for band in bands:
        if band.min_points <= score <= band.max_points:
            return band
    return None


def _range(low: int, high: int) -> str:
    return f"{low} points" if low == high else f"{low}–{high} points"
