"""In Chromium, on the demo course: a double-marked sample worked through to moderation, and a calibration round."""

import re

import pytest
from playwright.sync_api import expect

from courses.models import Question
from grading.models import CalibrationAttempt, Grade, GradeEvent, GradeEventKind, SecondMark

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "reflect-demo"


def _question(number: int) -> Question:
    return Question.objects.get(module__course__slug="tinytorch", module__slug="activations", number=number)


def _pick(page, question: Question, label: str, score: int) -> None:
    chosen = question.bands.get(label=label)
    page.locator(f"input[name=band][value='{chosen.pk}']").check()
    page.locator(f"input[name=score][value='{score}'][data-band='{chosen.pk}']").check()


def test_a_sample_is_double_marked_blind_and_the_instructor_moderates(browser, live_server, login, demo):
    q3 = _question(3)
    # ta1 grades the three answers to Q3 from the keyboard: EXCELLENT 10, NEEDS IMPROVEMENT 4, then GOOD 8.
    ta1 = browser.new_context().new_page()
    login(ta1, demo["ta1"], PASSWORD)
    ta1.goto(f"{live_server.url}/grading/questions/{q3.pk}/")
    ta1.locator("#start-grading").click()
    ta1.wait_for_url(re.compile(r"/grading/responses/\d+/$"))
    first_url = ta1.url
    ta1.keyboard.press("f")
    ta1.keyboard.type("Zanzibar: precise on ulps and reductions.")
    ta1.keyboard.press("Escape")
    ta1.keyboard.press("1")
    ta1.keyboard.press("s")
    ta1.wait_for_url(lambda url: url != first_url and re.search(r"/grading/responses/\d+/$", url) is not None)
    second_url = ta1.url
    ta1.keyboard.press("4")
    ta1.keyboard.press("s")
    ta1.wait_for_url(lambda url: url != second_url and re.search(r"/grading/responses/\d+/$", url) is not None)
    ta1.keyboard.press("2")
    ta1.keyboard.press("s")
    ta1.wait_for_url(f"**/grading/questions/{q3.pk}/")
    assert Grade.objects.filter(response__question=q3, graded_by=demo["ta1"]).count() == 3
    excellent = Grade.objects.get(response__question=q3, score=10).response

    # ta2 second-marks all three, blind: neither the first grade nor its feedback is on the page.
    ta2 = browser.new_context().new_page()
    login(ta2, demo["ta2"], PASSWORD)
    ta2.goto(f"{live_server.url}/grading/tinytorch/")
    ta2.locator(f"a[href='/grading/questions/{q3.pk}/second-marking/']").click()
    expect(ta2.locator("#second-marking-queue tbody a")).to_have_count(3)
    for _ in range(3):
        ta2.locator("#second-marking-queue tbody a").first.click()
        expect(ta2.locator("#answer")).to_be_visible()
        expect(ta2.locator("main")).not_to_contain_text("Zanzibar")
        expect(ta2.locator("main")).not_to_contain_text("10/10")
        _pick(ta2, q3, "SATISFACTORY", 5)
        ta2.locator("#save-second-mark").click()
        expect(ta2.locator(".messages")).to_contain_text("Second mark saved")
    expect(ta2.locator("#second-marking-queue")).to_contain_text("Nothing is waiting")
    assert SecondMark.objects.filter(grader=demo["ta2"]).count() == 3

    # The instructor sees the agreement, then moderates the one answer two bands apart (EXCELLENT vs SATISFACTORY).
    teacher = browser.new_context().new_page()
    login(teacher, demo["instructor"], PASSWORD)
    teacher.goto(f"{live_server.url}/grading/tinytorch/")
    teacher.get_by_role("link", name="Agreement").click()
    expect(teacher.locator("#agreement-pairs")).to_contain_text("ta1 & ta2")
    expect(teacher.locator("#agreement-questions tbody .exact")).to_contain_text("0%")
    expect(teacher.locator("main")).to_contain_text("Wilson score interval")
    teacher.get_by_role("link", name="Moderation queue").click()
    expect(teacher.locator("#moderation-queue tbody tr")).to_have_count(1)
    teacher.get_by_role("link", name="Moderate").click()
    expect(teacher.locator("#first-grade")).to_contain_text("10/10 EXCELLENT")
    expect(teacher.locator("#second-grade")).to_contain_text("5/10 SATISFACTORY")
    _pick(teacher, q3, "GOOD", 8)
    teacher.fill("#id_feedback", "Moderated: good on precision, thin on guarantees.")
    teacher.locator("#save-final").click()
    expect(teacher.locator("#moderation-queue")).to_contain_text("Nothing is waiting")
    expect(teacher.locator("#moderated")).to_contain_text(excellent.display_pseudonym)
    final = Grade.objects.get(response=excellent)
    assert (final.score, final.graded_by) == (8, demo["instructor"])
    assert GradeEvent.objects.filter(response=excellent, kind=GradeEventKind.MODERATED).count() == 1


def test_a_ta_calibrates_and_then_the_queue_opens(browser, live_server, login, demo):
    q2 = _question(2)
    ta1 = browser.new_context().new_page()
    login(ta1, demo["ta1"], PASSWORD)
    ta1.goto(f"{live_server.url}/grading/questions/{q2.pk}/")
    expect(ta1.locator("#round-pending")).to_contain_text("3 calibration exemplars")
    ta1.locator("#start-calibration").click()
    for number, (label, score) in enumerate([("EXCELLENT", 9), ("GOOD", 8), ("GOOD", 7)], start=1):
        expect(ta1.locator("h1")).to_contain_text(f"Exemplar {number} of 3")
        _pick(ta1, q2, label, score)
        ta1.locator("#save-calibration").click()
    expect(ta1.locator("#calibration-results tbody tr")).to_have_count(3)
    # References 10, 8 and 6 against 9, 8 and 7: off by 1, 0 and 1.
    expect(ta1.locator("#mean-error")).to_have_text("0.67")
    ta1.locator("#open-queue").click()
    expect(ta1.locator("#start-grading")).to_be_visible()
    assert CalibrationAttempt.objects.filter(grader=demo["ta1"]).count() == 3
    assert not Grade.objects.filter(response__question=q2).exists()

    teacher = browser.new_context().new_page()
    login(teacher, demo["instructor"], PASSWORD)
    teacher.goto(f"{live_server.url}/grading/tinytorch/analytics/")
    expect(teacher.locator("table.graders tr", has_text="ta1").locator(".calibration-error")).to_contain_text("0.67")
