"""The rubric rules of courses.rubric: the standard bands and the analytic-criteria rule."""

import pytest

from courses.rubric import CriterionSpec, criteria_errors, rubric_errors, standard_bands


def test_the_standard_bands_on_ten_points_are_the_courses_bands():
    assert [(b.label, b.min_points, b.max_points) for b in standard_bands(10)] == [
        ("EXCELLENT", 9, 10), ("GOOD", 7, 8), ("SATISFACTORY", 5, 6), ("NEEDS IMPROVEMENT", 1, 4), ("NO CREDIT", 0, 0),
    ]


@pytest.mark.parametrize("points", [1, 2, 3, 4, 5, 7, 10, 20, 25, 99, 100, 1000])
def test_the_standard_bands_scaled_to_any_points_obey_the_rubric_rule(points):
    bands = standard_bands(points)
    assert rubric_errors([b.spec() for b in bands], points) == []
    assert bands[0].label == "EXCELLENT" and bands[-1].label == "NO CREDIT"


def test_criteria_must_add_up_to_the_points_and_each_be_worth_something():
    good = [CriterionSpec("Explains the cost", 4), CriterionSpec("Names a system", 6)]
    assert criteria_errors(good, 10) == []
    assert criteria_errors(good, 12) == ["The criteria add up to 10 points but the question is worth 12."]
    assert criteria_errors([CriterionSpec("", 10)], 10) == ["Criterion 1 needs a description."]
    assert criteria_errors([CriterionSpec("A", 0), CriterionSpec("B", 10)], 10) == [
        "Criterion 1 is worth 0 points; each is worth 1 to 10."
    ]
    assert criteria_errors([], 10) == ["An analytic rubric needs at least one criterion."]
    assert "at most 20 criteria" in criteria_errors([CriterionSpec("x", 1)] * 21, 21)[0]
    assert criteria_errors(good, 0) == ["A question is worth 1 to 1,000 points, not 0."]
