"""In a real browser, against a real SMTP server: the instructor imports a roster; a new student follows the
invitation from the mail they received, sets a password, logs in and sees the course."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from courses.models import Enrollment

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "a long and unguessable passphrase"


def test_a_roster_import_invites_a_new_student_who_sets_a_password_and_sees_the_course(
    page, browser, login, live_server, world, smtp_server, run_worker, settings, tmp_path,
):
    settings.SITE_URL = live_server.url
    roster = tmp_path / "roster.csv"
    roster.write_text("Name,Email,Section\nAda Lovelace,ada@example.edu,Lab A\n", encoding="utf-8")

    login(page, world.instructor)
    page.goto(f"{live_server.url}/manage/{world.course.slug}/people/import/")
    page.set_input_files("input[name=file]", str(roster))
    page.click("button:has-text('Preview import')")
    expect(page.locator("#preview-heading")).to_have_text("Preview: nothing is written until you confirm")
    expect(page.locator("tr.change-create")).to_have_count(1)
    assert not Enrollment.objects.filter(user__email="ada@example.edu").exists()
    page.click("button:has-text('Confirm import')")
    expect(page.locator(".message.success")).to_contain_text("1 invited")
    expect(page.locator("table.people")).to_contain_text("ada@example.edu")

    run_worker()
    [mail] = [m for m in smtp_server.messages if m["To"] == "ada@example.edu"]
    assert mail["Subject"] == "You're invited to ML Systems"
    link = re.search(r"https?://\S+/accounts/invitation/\S+/", mail.get_content()).group(0)
    assert link.startswith(live_server.url)

    student = browser.new_context().new_page()
    student.goto(link)
    expect(student.locator("h1")).to_have_text("Set your password")
    student.fill("input[name=new_password1]", PASSWORD)
    student.fill("input[name=new_password2]", PASSWORD)
    student.click("button:has-text('Set my password')")
    expect(student.locator("h1")).to_have_text("Your password is set")
    student.click("a:has-text('Log in')")
    student.fill("#id_username", "ada")
    student.fill("#id_password", PASSWORD)
    student.click("button:has-text('Log in')")
    expect(student.locator("main")).to_contain_text("ML Systems")

    student.goto(link)  # the link was for one use
    expect(student.locator("main")).to_contain_text("expired or has already been used")
    student.context.close()
