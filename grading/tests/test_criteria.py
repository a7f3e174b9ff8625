"""Analytic criteria rubrics in grading: the service's rule, hostile form input, the pages, students' view, exports."""

from __future__ import annotations

import csv
import io

import pytest

from courses.models import RubricCriterion, RubricKind
from grading.models import Grade, GradeEvent, GradeEventKind, RegradeRequest
from grading.services import GradeConflict, GradingError, grade_save
from grading.tests.helpers import band, release

CRITERIA = [("Names the cost of exp", 4, "4: quantified; 2: named; 0: missing"), ("Compares with ReLU", 3, ""),
            ("Writes clearly", 3, "")]


def make_criteria(question, criteria=CRITERIA) -> None:
    question.rubric_kind = RubricKind.CRITERIA
    question.save(update_fields=["rubric_kind"])
    RubricCriterion.objects.bulk_create(
        RubricCriterion(question=question, position=i, description=d, max_points=m, levels=levels)
        for i, (d, m, levels) in enumerate(criteria, start=1)
    )


@pytest.fixture
def world_criteria(world):
    make_criteria(world.question)
    return world


def save(world, scores, *, base_version=0, response=None, by=None, band_id=None, score=None):
    return grade_save(response_id=(response or world.response).pk, actor=by or world.ta, band_id=band_id,
                      score=score, feedback="Fine.", base_version=base_version, criterion_scores=scores)


def rows() -> tuple[int, int]:
    return Grade.objects.count(), GradeEvent.objects.count()


# The service


def test_the_total_is_the_sum_and_the_band_the_one_that_covers_it(world_criteria):
    grade = save(world_criteria, [4, 2, 2])
    assert (grade.score, grade.band.label, grade.criterion_scores, grade.points) == (8, "GOOD", [4, 2, 2], 10)
    assert grade.rubric_version == world_criteria.question.rubric_version == 1
    event = GradeEvent.objects.get(response=world_criteria.response)
    assert (event.kind, event.old_criterion_scores, event.new_criterion_scores) == (GradeEventKind.GRADED, [],
                                                                                       [4, 2, 2])


def test_a_change_records_the_old_and_new_criterion_scores(world_criteria):
    save(world_criteria, [4, 2, 2])
    grade = save(world_criteria, [4, 3, 3], base_version=1)
    assert (grade.score, grade.band.label, grade.version) == (10, "EXCELLENT", 2)
    event = GradeEvent.objects.filter(response=world_criteria.response).last()
    assert (event.kind, event.old_criterion_scores, event.new_criterion_scores) == (GradeEventKind.CHANGED,
                                                                                       [4, 2, 2], [4, 3, 3])


@pytest.mark.parametrize("scores, message", [
    ([4, 2], "has 3 criteria"),
    ([4, 2, 2, 0], "has 3 criteria"),
    ([5, 2, 2], "worth at most 4, not 5"),
    ([4, -1, 2], "must be a whole number"),
    ([4, True, 2], "must be a whole number"),
    ([4, 2.0, 2], "must be a whole number"),
    ([4, "2", 2], "must be a whole number"),
    ([4, 2**40, 2], "must be a whole number"),
    (None, "Score every criterion"),
    ([], "Score every criterion"),
])
def test_wrong_criterion_scores_are_refused_and_nothing_is_written(world_criteria, scores, message):
    before = rows()
    with pytest.raises(GradingError, match=message):
        save(world_criteria, scores)
    assert rows() == before


def test_a_band_and_score_alone_cannot_grade_a_criteria_question(world_criteria):
    with pytest.raises(GradingError, match="Score every criterion"):
        save(world_criteria, None, band_id=band(world_criteria.question, "EXCELLENT").pk, score=10)
    assert rows() == (0, 0)


def test_a_bands_question_refuses_criterion_scores_and_grades_as_before(world):
    with pytest.raises(GradingError, match="graded with bands"):
        save(world, [4, 3, 3], band_id=band(world.question, "GOOD").pk, score=7)
    grade = save(world, None, band_id=band(world.question, "GOOD").pk, score=7)
    assert (grade.score, grade.band.label, grade.criterion_scores, grade.rubric_version) == (7, "GOOD", [], 1)


def test_a_stale_save_is_a_conflict_and_is_audited_with_its_criterion_scores(world_criteria):
    save(world_criteria, [4, 2, 2])
    with pytest.raises(GradeConflict) as raised:
        save(world_criteria, [1, 1, 1], by=world_criteria.instructor)
    assert raised.value.posted.criterion_scores == (1, 1, 1)
    assert Grade.objects.get().criterion_scores == [4, 2, 2]
    refused = GradeEvent.objects.get(kind=GradeEventKind.CONFLICT_REFUSED)
    assert (refused.old_criterion_scores, refused.new_criterion_scores) == ([4, 2, 2], [1, 1, 1])


# The grading form, hostile input

HOSTILE = ["²", "1.5", "-1", "1e3", str(2**31), str(10**30), "9" * 5000, "NaN", "0x1", "x", ""]


def _post(client, world, **fields):
    data = {"criterion-1": 4, "criterion-2": 2, "criterion-3": 2, "feedback": "", "version": 0}
    data.update(fields)
    return client.post(f"/grading/responses/{world.response.pk}/save/", {k: v for k, v in data.items()
                                                                          if v is not None})


@pytest.mark.parametrize("value", HOSTILE)
def test_a_hostile_criterion_score_is_refused_with_a_message(client, world_criteria, value):
    client.force_login(world_criteria.ta)
    reply = _post(client, world_criteria, **{"criterion-2": value})
    assert reply.status_code == 400
    assert "Criterion 2" in reply.content.decode()
    assert rows() == (0, 0)


def test_a_missing_row_is_refused_and_a_score_above_the_criterion_too(client, world_criteria):
    client.force_login(world_criteria.ta)
    assert "Criterion 3 has no score" in _post(client, world_criteria, **{"criterion-3": None}).content.decode()
    assert "Criterion 1 is worth at most 4" in _post(client, world_criteria, **{"criterion-1": 5}).content.decode()
    assert rows() == (0, 0)


def test_posted_scores_save_and_the_page_shows_them_again(client, world_criteria):
    client.force_login(world_criteria.ta)
    reply = _post(client, world_criteria, then="stay")
    assert reply.status_code == 302
    grade = Grade.objects.get()
    assert (grade.score, grade.band.label, grade.criterion_scores) == (8, "GOOD", [4, 2, 2])
    page = client.get(f"/grading/responses/{world_criteria.response.pk}/").content.decode()
    assert 'name="criterion-1" id="id_criterion-1" min="0" max="4"' in page
    assert 'value="4" data-criterion' in page and "4: quantified; 2: named; 0: missing" in page
    assert 'name="band"' not in page.split('id="grade-form"')[1].split("</form>")[0]
    assert "js/grade-criteria.js" in page


def test_the_conflict_page_keeps_the_refused_criterion_scores_to_apply(client, world_criteria):
    save(world_criteria, [1, 1, 1], by=world_criteria.instructor)
    client.force_login(world_criteria.ta)
    reply = _post(client, world_criteria)
    assert reply.status_code == 409
    page = reply.content.decode()
    for name, value in (("criterion-1", 4), ("criterion-2", 2), ("criterion-3", 2)):
        assert f'<input type="hidden" name="{name}" value="{value}">' in page
    applied = _post(client, world_criteria, version=1, resolve=1, then="stay")
    assert applied.status_code == 302
    assert Grade.objects.get().criterion_scores == [4, 2, 2]


def test_a_regrade_answer_can_change_the_criterion_scores(client, world_criteria):
    save(world_criteria, [2, 2, 2])
    release(world_criteria.question, world_criteria.instructor)
    regrade = RegradeRequest.objects.create(response=world_criteria.response, reason="Cost was there.",
                                            score_before=6)
    client.force_login(world_criteria.ta)
    page = client.get(f"/grading/responses/{world_criteria.response.pk}/").content.decode()
    assert 'class="regrade-criteria"' in page
    reply = client.post(f"/grading/regrades/{regrade.pk}/answer/", {
        "reply": "You did name it.", "version": 1, "criterion-1": 4, "criterion-2": 2, "criterion-3": 2})
    assert reply.status_code == 302
    grade = Grade.objects.get()
    assert (grade.score, grade.criterion_scores) == (8, [4, 2, 2])
    assert GradeEvent.objects.filter(kind=GradeEventKind.REGRADE, new_criterion_scores=[4, 2, 2]).exists()
    regrade.refresh_from_db()
    assert (regrade.status, regrade.score_after) == ("answered", 8)


def test_a_regrade_answer_left_unscored_keeps_the_grade_and_a_half_scored_one_is_refused(client, world_criteria):
    save(world_criteria, [2, 2, 2])
    release(world_criteria.question, world_criteria.instructor)
    regrade = RegradeRequest.objects.create(response=world_criteria.response, reason="Look.", score_before=6)
    client.force_login(world_criteria.ta)
    url = f"/grading/regrades/{regrade.pk}/answer/"
    client.post(url, {"reply": "No.", "version": 1, "criterion-1": 4, "criterion-2": "", "criterion-3": ""})
    regrade.refresh_from_db()
    assert regrade.status == "open" and Grade.objects.get().criterion_scores == [2, 2, 2]
    client.post(url, {"reply": "It stays.", "version": 1, "criterion-1": "", "criterion-2": "", "criterion-3": ""})
    regrade.refresh_from_db()
    assert (regrade.status, regrade.score_after) == ("answered", 6)
    assert Grade.objects.get().version == 1


# Students, gradebook and exports


def test_the_student_sees_per_criterion_scores_only_after_release(client, world_criteria):
    world_criteria.question.rubric_notes = "STAFF-NOTE: +1 for a measured timing."
    world_criteria.question.save(update_fields=["rubric_notes"])
    save(world_criteria, [4, 2, 1])
    client.force_login(world_criteria.student)
    url = world_criteria.response.get_absolute_url()
    before = client.get(url).content.decode()
    assert 'id="criterion-scores"' not in before and "Compares with ReLU" not in before
    release(world_criteria.question, world_criteria.instructor)
    page = client.get(url).content.decode()
    assert 'id="criterion-scores"' in page
    for description, shown in (("Names the cost of exp", "4 / 4"), ("Compares with ReLU", "2 / 3"),
                               ("Writes clearly", "1 / 3")):
        assert f"<td>{description}</td><td>{shown}</td>" in page
    assert "7 / 10" in page
    assert "quantified; 2: named" not in page  # level descriptors are the graders'
    assert "STAFF-NOTE" not in page and "SECRET-MARK-SCHEME" not in page


def test_the_gradebook_and_the_csv_export_keep_the_total(client, world_criteria):
    save(world_criteria, [4, 3, 2])
    release(world_criteria.question, world_criteria.instructor)
    client.force_login(world_criteria.instructor)
    book = client.get(f"/grading/{world_criteria.course.slug}/gradebook/")
    assert book.status_code == 200
    reply = client.get(f"/grading/{world_criteria.course.slug}/gradebook/export/?format=csv")
    table = list(csv.reader(io.StringIO(b"".join(reply.streaming_content).decode())))
    student = next(row for row in table if row[0] == "student")
    assert student[3:] == ["9", "9", "9"]


# Query counts


@pytest.mark.parametrize("students", [10, 1000])
def test_the_grading_page_of_a_criteria_question_runs_a_fixed_number_of_queries(client, world_criteria, students,
                                                                                django_assert_num_queries):
    from grading.tests.test_query_counts import _populate

    _populate(world_criteria, students)
    Grade.objects.update(criterion_scores=[3, 2, 2])
    save(world_criteria, [4, 2, 2], by=world_criteria.instructor)
    client.force_login(world_criteria.ta)
    # session, user, response with question, course, grade, band, grader, lease, regrade and release;
    # lease: savepoint, lock the lease row, insert it, release savepoint; bands, criteria, grade history with
    # actors, comment bank, name reveal check; progress, previous and next in the queue; the calibration gate
    # and the double-marking share
    with django_assert_num_queries(17):
        page = client.get(f"/grading/responses/{world_criteria.response.pk}/")
    assert page.content.decode().count("data-criterion required") == 3


@pytest.mark.parametrize("students", [10, 1000])
def test_a_flagged_grade_of_an_older_rubric_adds_one_query_for_that_version(client, world_criteria, students,
                                                                           django_assert_num_queries):
    from courses.questions import question_rubric_change
    from grading.tests.test_query_counts import _populate

    _populate(world_criteria, students)
    save(world_criteria, [4, 2, 2], by=world_criteria.instructor)
    question_rubric_change(question=world_criteria.question, actor=world_criteria.instructor, reason="Reworded.",
                           write=lambda: None)
    client.force_login(world_criteria.ta)
    # as above, and the rubric version the grade was made against
    with django_assert_num_queries(18):
        page = client.get(f"/grading/responses/{world_criteria.response.pk}/")
    assert 'id="rubric-versions"' in page.content.decode()


@pytest.mark.parametrize("students", [10, 1000])
def test_saving_criterion_scores_runs_a_fixed_number_of_queries(client, world_criteria, students,
                                                                django_assert_num_queries):
    from grading.tests.test_query_counts import _populate

    _populate(world_criteria, students)
    client.force_login(world_criteria.ta)
    data = {"criterion-1": 4, "criterion-2": 3, "criterion-3": 1, "version": 0, "then": "next"}
    # session, user, response via staff enrollment, criteria (form); savepoint, lock the response, criteria,
    # bands, lock the grade, insert grade, insert event, end the lease, release savepoint; next ungraded response;
    # the calibration gate
    with django_assert_num_queries(15):
        reply = client.post(f"/grading/responses/{world_criteria.response.pk}/save/", data)
    assert reply.status_code == 302
    assert Grade.objects.get(response=world_criteria.response).score == 8


def test_after_a_rubric_edit_the_student_sees_the_criteria_their_grade_was_scored_on(client, world_criteria):
    from courses.questions import question_rubric_change

    save(world_criteria, [4, 2, 1])

    def reword() -> None:
        RubricCriterion.objects.filter(question=world_criteria.question, position=2).update(
            description="Quantifies the difference", max_points=4)
        RubricCriterion.objects.filter(question=world_criteria.question, position=3).update(max_points=2)

    question_rubric_change(question=world_criteria.question, actor=world_criteria.instructor, reason="Reworked.",
                           write=reword)
    release(world_criteria.question, world_criteria.instructor)
    client.force_login(world_criteria.student)
    page = client.get(world_criteria.response.get_absolute_url()).content.decode()
    assert "<td>Compares with ReLU</td><td>2 / 3</td>" in page and "<td>Writes clearly</td><td>1 / 3</td>" in page
    assert "Quantifies the difference" not in page
