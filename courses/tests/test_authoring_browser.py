"""In a real browser: the seed uploaded, previewed and confirmed; the admin previews Markdown as it is typed."""

from pathlib import Path

import pytest
from playwright.sync_api import expect

from courses.models import Question
from courses.tests.factories import make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SEED = Path(__file__).parent / "notebooks" / "activations_reflection.py"


def test_an_instructor_uploads_the_seed_previews_it_and_confirms(page, login, live_server, world):
    login(page, world.instructor)
    page.goto(f"{live_server.url}/authoring/{world.course.slug}/import/")
    page.set_input_files("input[name=files]", str(SEED))
    page.fill("input[name=module]", "reflection")
    page.click("button:has-text('Preview import')")
    expect(page.locator("#preview-heading")).to_have_text("Preview: nothing is written until you confirm")
    expect(page.locator("tr.change-create")).to_have_count(3)
    assert not Question.objects.filter(module__slug="reflection").exists()

    page.click("button:has-text('Confirm import')")
    expect(page.locator(".message.success")).to_contain_text("3 created, 0 updated, 0 unchanged")
    assert list(Question.objects.filter(module__slug="reflection").values_list("points", flat=True)) == [10, 10, 10]
    expect(page.locator("a[href$='/authoring/ml-systems/reflection/export/']")).to_be_visible()


def test_the_admin_previews_question_markdown_while_typing(page, login, live_server, world):
    root = make_user("root", is_staff=True, is_superuser=True)
    login(page, root)
    page.goto(f"{live_server.url}/admin/courses/question/{world.question.pk}/change/")
    page.fill("textarea[name=prompt]", "Why is **ReLU** cheap? $x^2$ <img src=x onerror=alert(1)>")
    preview = page.locator("[data-preview-for=prompt]")
    expect(preview.locator("strong")).to_have_text("ReLU")
    assert "onerror" not in preview.inner_html()
