"""A module's reflection intro and summary and a question's guiding questions: what students see, where staff edit."""

from __future__ import annotations

from courses.models import Module, RubricCriterion, RubricKind


def test_students_see_the_intro_before_the_questions_and_the_summary_after(client, world):
    Module.objects.filter(pk=world.module.pk).update(
        reflection_intro="**Instructions:**\n- Write 150-300 words", reflection_summary="**💡 Systems Insight**: done")
    client.force_login(world.student)
    page = client.get(world.module.get_absolute_url()).content.decode()
    intro, table, summary = (page.index("<strong>Instructions:</strong>"), page.index("<table"),
                             page.index("<strong>💡 Systems Insight</strong>"))
    assert intro < table < summary
    assert "<li>Write 150-300 words</li>" in page


def test_a_module_without_them_shows_neither(client, world):
    client.force_login(world.student)
    page = client.get(world.module.get_absolute_url()).content.decode()
    assert "reflection-intro" not in page and "reflection-summary" not in page


def test_students_see_the_guiding_questions_under_the_prompt_but_no_rubric(client, world):
    question = world.question
    question.guidance = "Consider addressing:\n- Why is ReLU cheap?"
    question.rubric_kind = RubricKind.CRITERIA
    question.rubric_notes = "BONUS-NOTE for deep answers"
    question.save()
    RubricCriterion.objects.create(question=question, position=0, description="CRITERION-TEXT", max_points=10)
    client.force_login(world.student)
    page = client.get(question.get_absolute_url()).content.decode()
    assert page.index(">Question</h2>") < page.index("Guiding questions") < page.index("<li>Why is ReLU cheap?</li>")
    for secret in ("BONUS-NOTE", "CRITERION-TEXT", "SECRET-MARK-SCHEME"):
        assert secret not in page


def test_an_instructor_edits_them_in_the_module_settings(client, world):
    client.force_login(world.instructor)
    url = f"/manage/{world.course.slug}/modules/{world.module.slug}/"
    assert 'name="reflection_intro"' in client.get(url).content.decode()
    data = {"number": world.module.number, "slug": world.module.slug, "title": world.module.title,
            "reflection_intro": "Read this first.", "reflection_summary": "What you learned."}
    assert client.post(url, data).status_code == 302
    world.module.refresh_from_db()
    assert (world.module.reflection_intro, world.module.reflection_summary) == ("Read this first.", "What you learned.")


def test_text_the_database_cannot_store_is_refused_and_nothing_changes(client, world):
    client.force_login(world.instructor)
    url = f"/manage/{world.course.slug}/modules/{world.module.slug}/"
    data = {"number": world.module.number, "slug": world.module.slug, "title": world.module.title,
            "reflection_intro": "bad\x00text", "reflection_summary": "fine"}
    assert client.post(url, data).status_code == 400
    world.module.refresh_from_db()
    assert world.module.reflection_summary == ""


def test_a_ta_cannot_change_them(client, world):
    client.force_login(world.ta)
    url = f"/manage/{world.course.slug}/modules/{world.module.slug}/"
    data = {"number": world.module.number, "slug": world.module.slug, "title": world.module.title,
            "reflection_intro": "Mine now"}
    assert client.post(url, data).status_code == 403
    world.module.refresh_from_db()
    assert world.module.reflection_intro == ""
