"""A term on the demo course, in Chromium, with e-mail through a real SMTP server and no /admin/:

the instructor imports a roster from Manage; a new student and a new TA follow their invitations; the
instructor moves a deadline into the past and grants the student an extension; the student answers after
the original deadline without being late; the instructor splits the answers between TAs by section; the
new TA finds only their own answers under "Assigned to me" and grades; the instructor releases through the
confirmation page, and the student receives the digest and sees the grade.
"""

from __future__ import annotations

import re
import zoneinfo
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from courses.models import Enrollment, Extension, Question, Response, ResponseStatus, Role
from courses.tests.factories import words
from grading.models import Grade, GradeRelease, GradingAssignment

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
DEMO_PASSWORD = "reflect-demo"
NEW_PASSWORD = "a long and unguessable passphrase"
ZONE = "America/Chicago"
GREEN = "rgb(28, 124, 60)"  # --ok in reflect.css: an extension is time given, not a fault
ROSTER = (
    "name,email,username,role,section,sis_id\n"
    "Grace Hopper,grace@example.edu,grace,student,Lab A,S-1001\n"
    "Edsger Dijkstra,edsger@example.edu,edsger,student,Lab A,S-1002\n"
    "Barbara Liskov,barbara@example.edu,barbara,TA,Lab A,\n"
)


def _invitation_link(smtp_server, email: str) -> str:
    [mail] = [m for m in smtp_server.messages if m["X-Envelope-To"] == email]
    assert mail["Subject"] == "You're invited to TinyTorch: ML Systems"
    return re.search(r"https?://\S+/accounts/invitation/\S+/", mail.get_content()).group(0)


def _accept_invitation(browser, link: str, username: str):
    """A fresh context follows the link, sets a password and logs in with it; returns its page."""
    page = browser.new_context().new_page()
    page.goto(link)
    expect(page.locator("h1")).to_have_text("Set your password")
    page.fill("input[name=new_password1]", NEW_PASSWORD)
    page.fill("input[name=new_password2]", NEW_PASSWORD)
    page.click("button:has-text('Set my password')")
    expect(page.locator("h1")).to_have_text("Your password is set")
    page.click("a:has-text('Log in')")
    page.fill("#id_username", username)
    page.fill("#id_password", NEW_PASSWORD)
    page.click("button:has-text('Log in')")
    expect(page.locator("h1")).to_have_text("My courses")
    return page


def test_the_demo_instructor_runs_a_term_in_the_browser(
    page, browser, live_server, login, demo, smtp_server, run_worker, settings, tmp_path,
):
    settings.SITE_URL = live_server.url
    question = Question.objects.get(module__course__slug="tinytorch", module__slug="activations", number=1)
    teacher = page
    login(teacher, demo["instructor"], DEMO_PASSWORD)

    # Manage, from the dashboard: the course runs on Chicago time.
    teacher.locator("article.card", has_text="TinyTorch").get_by_role("link", name="Manage").click()
    expect(teacher.locator("h1")).to_have_text("Course settings")
    teacher.select_option("#id_time_zone", ZONE)
    teacher.get_by_role("button", name="Save settings").click()
    expect(teacher.locator(".message.success")).to_contain_text("Course settings saved")

    # People → Import a roster: a preview first, nothing written until confirmed.
    roster = tmp_path / "roster.csv"
    roster.write_text(ROSTER, encoding="utf-8")
    teacher.get_by_role("navigation", name="Manage TinyTorch: ML Systems").get_by_role("link", name="People").click()
    teacher.get_by_role("link", name="Import a roster").click()
    teacher.set_input_files("input[name=file]", str(roster))
    teacher.get_by_role("button", name="Preview import").click()
    expect(teacher.locator("#preview-heading")).to_have_text("Preview: nothing is written until you confirm")
    created = teacher.locator("tr.change-create")
    expect(created).to_have_count(3)
    for email in ("grace@example.edu", "edsger@example.edu", "barbara@example.edu"):
        expect(created.filter(has_text=email)).to_have_count(1)
    expect(teacher.locator("#preview")).to_contain_text("New sections: Lab A")
    assert not Enrollment.objects.filter(user__email="grace@example.edu").exists()
    teacher.get_by_role("button", name="Confirm import").click()
    expect(teacher.locator(".message.success")).to_contain_text("3 invited")
    expect(teacher.locator("table.people")).to_contain_text("grace@example.edu")
    grace = Enrollment.objects.select_related("user", "section").get(course__slug="tinytorch", user__username="grace")
    barbara = Enrollment.objects.select_related("section").get(course__slug="tinytorch", user__username="barbara")
    assert (grace.role, grace.section.name, grace.sis_id) == (Role.STUDENT, "Lab A", "S-1001")
    assert (barbara.role, barbara.section_id) == (Role.TA, grace.section_id)

    # The worker sends the invitations; Grace and Barbara each follow theirs from the mail.
    run_worker()
    assert {m["X-Envelope-To"] for m in smtp_server.messages} == {
        "grace@example.edu", "edsger@example.edu", "barbara@example.edu"}
    link = _invitation_link(smtp_server, "grace@example.edu")
    assert link.startswith(live_server.url)
    student = _accept_invitation(browser, link, "grace")
    expect(student.locator("article.card h2")).to_have_text("TinyTorch: ML Systems")
    ta = _accept_invitation(browser, _invitation_link(smtp_server, "barbara@example.edu"), "barbara")

    # Manage → Modules & questions: Q1's deadline moves to yesterday, late work refused.
    zone = zoneinfo.ZoneInfo(ZONE)
    past = timezone.localtime(timezone.now() - timedelta(days=1), zone).replace(second=0, microsecond=0)
    teacher.get_by_role("link", name="Modules & questions").click()
    teacher.get_by_role("link", name="Activations").click()
    teacher.get_by_role("link", name=f"Q1. {question.title}").click()
    teacher.fill("#id_due_at", past.strftime("%Y-%m-%dT%H:%M"))
    teacher.select_option("#id_late_policy", "reject")
    teacher.get_by_role("button", name="Save question").click()
    expect(teacher.locator(".message.success")).to_contain_text(f"Q1 “{question.title}” saved.")
    question.refresh_from_db()
    assert question.due_at == past
    teacher.get_by_role("link", name="Modules & questions").click()
    teacher.get_by_role("link", name="Activations").click()
    expect(teacher.locator(f"tr[data-question='{question.pk}'] .due")).to_contain_text(past.strftime("%H:%M %Z"))

    # Without an extension, Grace finds the answer box read-only.
    student.goto(f"{live_server.url}/questions/{question.pk}/")
    expect(student.locator("#answer-readonly")).to_be_visible()

    # Manage → Extensions: two more days for Grace.
    teacher.get_by_role("link", name="Extensions").click()
    teacher.fill("#id_student", "grace")
    teacher.select_option("#id_question", label=f"M02 Q1. {question.title}")
    extended = past + timedelta(days=3)
    teacher.fill("#id_due_at", extended.strftime("%Y-%m-%dT%H:%M"))
    teacher.fill("#id_reason", "Joined the course late")
    teacher.get_by_role("button", name="Grant extension").click()
    expect(teacher.locator(".message.success")).to_contain_text("Extension granted")
    expect(teacher.locator("#extensions tbody tr").first).to_contain_text("Joined the course late")
    assert Extension.objects.get(student__username="grace", question=question).due_at == extended

    # Grace sees her own deadline under "Due next" and answers after the original one, without being late.
    student.goto(f"{live_server.url}/")
    due_next = student.locator("#due-soon tr", has_text=question.title)
    expect(due_next.locator("[data-extended]")).to_have_text("extended")
    due_next.get_by_role("link", name=f"Q1. {question.title}").click()
    expect(student.locator("[data-extended]")).to_have_text("extended")
    expect(student.locator(".badge.extended")).to_have_css("color", GREEN)
    student.fill("#answer", words(160))
    student.click("#submit-answer")
    expect(student.locator("#submitted-text")).to_contain_text("word")
    expect(student.locator(".badge.late")).to_have_count(0)
    answer = Response.objects.get(student__username="grace", question=question)
    assert answer.is_submitted and answer.submitted_at > question.due_at
    assert (answer.is_late, answer.late_seconds) == (False, None)

    # Grading team: Q1's answers go by section; Barbara, Lab A's TA, gets Grace's.
    teacher.get_by_role("link", name="Grading team").click()
    teacher.locator(f"a[href$='/grading-team/questions/{question.pk}/']").click()
    teacher.get_by_role("button", name="Assign by section").click()
    expect(teacher.locator(".messages")).to_contain_text("Assigned 3 answers")
    expect(teacher.locator("#unassigned-count")).to_have_text("0")
    assignments = dict(GradingAssignment.objects.filter(response__question=question)
                       .values_list("response_id", "grader__username"))
    assert assignments[answer.pk] == "barbara"
    hers = Response.objects.filter(pk__in=[pk for pk, who in assignments.items() if who == "barbara"])
    others = Response.objects.filter(question=question, status=ResponseStatus.SUBMITTED).exclude(pk__in=hers)
    assert others.exists()

    # Barbara's queue opens on "Assigned to me" and lists her answers only.
    ta.goto(f"{live_server.url}/grading/questions/{question.pk}/")
    expect(ta.locator(".filters [aria-current=page]")).to_have_text("Assigned to me")
    expect(ta.locator("tbody tr")).to_have_count(hers.count())
    for response in hers:
        expect(ta.locator("tbody")).to_contain_text(response.display_pseudonym)
    for response in others:
        expect(ta.locator("tbody")).not_to_contain_text(response.display_pseudonym)

    # She grades Grace's answer on the grading page.
    ta.get_by_role("link", name=answer.display_pseudonym).click()
    expect(ta.locator("#answer")).to_contain_text(answer.submitted_text[:40])
    ta.get_by_label("GOOD").check()
    ta.locator("#grade-form input[name=score][value='8']").check()
    ta.fill("#id_feedback", "Clear on the cost of the exponential.")
    ta.get_by_role("button", name="Save", exact=True).click()
    expect(ta.locator(".messages")).to_be_visible()
    grade = Grade.objects.get(response=answer)
    assert (grade.score, grade.band.label, grade.graded_by.username) == (8, "GOOD", "barbara")

    # Grading overview → Release module… → confirm.
    teacher.goto(f"{live_server.url}/")
    teacher.locator("article.card", has_text="TinyTorch").get_by_role("link", name="Grading").click()
    teacher.locator("a[href$='/modules/activations/release/confirm/?action=release']").click()
    expect(teacher.locator(f"#preview-{question.pk} .graded")).to_have_text("1")
    expect(teacher.locator(f"#preview-{question.pk} .ungraded")).to_have_text(str(others.count()))
    expect(teacher.locator(f"#preview-{question.pk} .extensions")).to_contain_text("1 extension still running")
    assert not GradeRelease.objects.filter(question=question, released=True).exists()
    teacher.get_by_role("button", name="Release these grades now").click()
    expect(teacher.locator(".messages")).to_contain_text("Released grades")
    assert GradeRelease.objects.get(question=question).released

    # The worker sends the digest; Grace sees her grade.
    run_worker()
    digests = [m for m in smtp_server.messages if m["Subject"].startswith("Grades released")]
    assert [m["X-Envelope-To"] for m in digests] == ["grace@example.edu"]  # nobody else has a released grade
    [digest] = digests
    assert digest["Subject"] == "Grades released in TinyTorch: ML Systems"
    assert f"Q1. {question.title}" in digest.get_content()
    student.goto(f"{live_server.url}/")
    expect(student.locator("#recent-notices")).to_contain_text("Grades released in TinyTorch: ML Systems")
    student.goto(f"{live_server.url}/responses/{answer.pk}/")
    expect(student.locator("#grade")).to_contain_text("8 / 10")
    expect(student.locator("#grade")).to_contain_text("GOOD")
    expect(student.locator("#grade .feedback")).to_contain_text("cost of the exponential")

    # The gradebook marks Grace's extended cell.
    teacher.goto(f"{live_server.url}/")
    teacher.locator("article.card", has_text="TinyTorch").get_by_role("link", name="Gradebook").click()
    row = teacher.locator("#gradebook tbody tr", has_text="grace")
    expect(row.locator(".mk.extended")).to_have_count(1)
    expect(row.locator(".mk.extended")).to_have_css("color", GREEN)
    expect(teacher.locator("#gradebook tbody tr", has_text="edsger").locator(".mk.extended")).to_have_count(0)
    student.context.close()
    ta.context.close()
