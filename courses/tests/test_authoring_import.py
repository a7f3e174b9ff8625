"""The instructor's upload page: preview first, confirm from a signed payload, refusals write nothing."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from pathlib import Path

import nbformat
import pytest
import time_machine
from django.core import signing
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from courses.models import Module, Question, Role
from courses.tests.factories import enroll, make_response, make_user
from grading.models import Grade

SEED = Path(__file__).parent / "notebooks" / "activations_reflection.py"
VARIANT = Path(__file__).parent / "notebooks" / "02_activations_variant.py"


def upload(path: Path, name: str | None = None, content: bytes | None = None) -> SimpleUploadedFile:
    return SimpleUploadedFile(name or path.name, path.read_bytes() if content is None else content)


def payload_of(response) -> str:
    match = re.search(r'name="payload" value="([^"]+)"', response.content.decode())
    assert match, "the preview has no confirm form"
    return match.group(1)


@pytest.fixture
def instructor_client(client, world):
    client.force_login(world.instructor)
    return client


def url(world) -> str:
    return reverse("authoring:import", args=[world.course.slug])


def test_the_page_lists_modules_with_export_links_in_constant_queries(instructor_client, world,
                                                                      django_assert_num_queries):
    # session, user, course for the instructor, modules with question counts
    with django_assert_num_queries(4):
        response = instructor_client.get(url(world))
    assert response.status_code == 200
    assert reverse("authoring:export", args=[world.course.slug, "activations"]) in response.content.decode()


def test_uploading_the_seed_shows_a_preview_and_writes_nothing_until_confirmed(instructor_client, world):
    before = Question.objects.count()
    response = instructor_client.post(url(world), {"files": [upload(SEED)], "module": "reflection"})
    assert response.status_code == 200
    page = response.content.decode()
    assert page.count("to create</span>") == 3
    assert "Computational Efficiency in Production" in page and "new module" in page
    assert Question.objects.count() == before and not Module.objects.filter(slug="reflection").exists()

    response = instructor_client.post(url(world), {"payload": payload_of(response)}, follow=True)
    module = Module.objects.get(course=world.course, slug="reflection")
    assert list(module.questions.values_list("grade_id", "points")) == [
        (f"systems-thinking-response-{n}", 10) for n in (1, 2, 3)]
    assert "Imported 1 file(s): 3 created, 0 updated, 0 unchanged, 0 deleted." in response.content.decode()


def test_uploading_it_again_previews_every_question_unchanged(instructor_client, world):
    first = instructor_client.post(url(world), {"files": [upload(SEED)], "module": "reflection"})
    instructor_client.post(url(world), {"payload": payload_of(first)})
    again = instructor_client.post(url(world), {"files": [upload(SEED)], "module": "reflection"})
    assert again.content.decode().count('<span class="badge">unchanged</span>') == 3


def test_several_files_are_reported_one_by_one(instructor_client, world):
    response = instructor_client.post(url(world), {"files": [upload(SEED), upload(VARIANT)]})
    page = response.content.decode()
    assert 'data-file="activations_reflection.py"' in page and 'data-file="02_activations_variant.py"' in page
    assert page.count("to create</span>") == 5


def test_a_bad_file_is_refused_with_its_reason_and_no_confirm_button(instructor_client, world):
    response = instructor_client.post(url(world), {"files": [upload(SEED), upload(SEED, "02_broken.ipynb", b"{oops")]})
    assert response.status_code == 400
    page = response.content.decode()
    assert "Import refused: nothing was written" in page
    assert "02_broken.ipynb: not JSON" in page
    assert 'name="payload"' not in page
    assert not Module.objects.filter(slug__in=["activations-reflection", "broken"]).exists()


def test_a_file_over_the_size_cap_is_refused(instructor_client, world, settings):
    settings.NOTEBOOK_MAX_BYTES = 500
    response = instructor_client.post(url(world), {"files": [upload(SEED)]})
    assert response.status_code == 400
    assert "larger than the 500-byte limit" in response.content.decode()


def test_posting_without_files_asks_for_one(instructor_client, world):
    response = instructor_client.post(url(world), {"module": ""})
    assert response.status_code == 400
    assert "Choose at least one .ipynb or .py notebook." in response.content.decode()


def test_a_tampered_payload_is_refused_and_writes_nothing(instructor_client, world):
    preview = instructor_client.post(url(world), {"files": [upload(SEED)], "module": "reflection"})
    response = instructor_client.post(url(world), {"payload": payload_of(preview)[:-2] + "xx"}, follow=True)
    assert "That preview could not be verified" in response.content.decode()
    assert not Module.objects.filter(slug="reflection").exists()


def test_a_payload_from_another_instructor_is_refused(client, world):
    colleague = make_user("colleague")
    enroll(colleague, world.course, Role.INSTRUCTOR)
    client.force_login(world.instructor)
    preview = client.post(url(world), {"files": [upload(SEED)], "module": "reflection"})
    client.force_login(colleague)
    response = client.post(url(world), {"payload": payload_of(preview)}, follow=True)
    assert "belongs to another course or person" in response.content.decode()
    assert not Module.objects.filter(slug="reflection").exists()


def test_a_preview_expires_after_an_hour(instructor_client, world):
    preview = instructor_client.post(url(world), {"files": [upload(SEED)], "module": "reflection"})
    with time_machine.travel(timezone.now() + timedelta(hours=1, minutes=1)):
        response = instructor_client.post(url(world), {"payload": payload_of(preview)}, follow=True)
    assert "more than an hour old" in response.content.decode()
    assert not Module.objects.filter(slug="reflection").exists()


def test_the_payload_carries_the_files_signed_not_stored(instructor_client, world):
    preview = instructor_client.post(url(world), {"files": [upload(SEED)], "module": "reflection"})
    data = signing.loads(payload_of(preview), salt="courses.authoring.import")
    assert data["files"][0][0] == "activations_reflection.py"
    assert data["files"][0][1] == SEED.read_text()


def test_a_course_changed_since_the_preview_shows_the_new_plan_instead_of_importing(instructor_client, world):
    preview = instructor_client.post(url(world), {"files": [upload(SEED)], "module": "reflection"})
    Module.objects.create(course=world.course, number=7, slug="reflection", title="Made meanwhile")
    response = instructor_client.post(url(world), {"payload": payload_of(preview)})
    assert response.status_code == 409
    assert "The course changed since your preview" in response.content.decode()
    assert not Question.objects.filter(module__slug="reflection").exists()
    confirmed = instructor_client.post(url(world), {"payload": payload_of(response)})
    assert confirmed.status_code == 302
    assert Question.objects.filter(module__slug="reflection").count() == 3


def _graded_reflection(client, world):
    preview = client.post(url(world), {"files": [upload(SEED)], "module": "reflection"})
    client.post(url(world), {"payload": payload_of(preview)})
    question = Question.objects.get(module__slug="reflection", grade_id="systems-thinking-response-1")
    response = make_response(make_user(), question)
    return Grade.objects.create(response=response, band=question.bands.get(label="GOOD"), score=7, points=10,
                                graded_by=world.ta)


def test_a_band_change_on_a_graded_question_needs_the_force_box_and_then_flags_grades(instructor_client, world):
    grade = _graded_reflection(instructor_client, world)
    changed = SEED.read_bytes().replace(b"GOOD (7-8 points):", b"GOOD (6-8 points):", 1).replace(
        b"SATISFACTORY (5-6 points):", b"SATISFACTORY (5 points):", 1)
    refused = instructor_client.post(url(world), {"files": [upload(SEED, content=changed)], "module": "reflection"})
    assert refused.status_code == 400
    assert "changes the bands of a question that already has grades" in refused.content.decode()

    preview = instructor_client.post(url(world), {"files": [upload(SEED, content=changed)], "module": "reflection",
                                                  "force": "on"})
    assert "grades flagged" in preview.content.decode()
    instructor_client.post(url(world), {"payload": payload_of(preview)})
    grade.refresh_from_db()
    assert grade.needs_review
    assert grade.response.grade_events.get().actor == world.instructor


def test_the_export_download_is_a_valid_notebook_named_after_the_module(instructor_client, world):
    response = instructor_client.get(reverse("authoring:export", args=[world.course.slug, world.module.slug]))
    assert response["Content-Disposition"] == 'attachment; filename="01_activations.ipynb"'
    notebook = nbformat.reads(response.content.decode(), as_version=4)
    nbformat.validate(notebook)
    assert json.loads(response.content)["cells"][2]["metadata"]["nbgrader"]["points"] == world.question.points
    as_py = instructor_client.get(reverse("authoring:export", args=[world.course.slug, world.module.slug]),
                                  {"format": "py"})
    assert as_py["Content-Disposition"] == 'attachment; filename="01_activations.py"'
    assert as_py.content.decode().startswith("# %% [markdown]")


def test_the_preview_of_a_reimport_takes_the_same_queries_however_many_questions(instructor_client, world,
                                                                               django_assert_num_queries):
    first = instructor_client.post(url(world), {"files": [upload(SEED)], "module": "reflection"})
    instructor_client.post(url(world), {"payload": payload_of(first)})
    # session, user, course for the instructor, savepoint, modules, questions with response counts, their bands,
    # their criteria, savepoint release, modules with question counts for the page
    with django_assert_num_queries(10):
        response = instructor_client.post(url(world), {"files": [upload(SEED)], "module": "reflection"})
    assert response.content.decode().count('<span class="badge">unchanged</span>') == 3


def test_the_export_download_takes_constant_queries(instructor_client, world, django_assert_num_queries):
    # session, user, course for the instructor, module, questions, their bands, their criteria
    with django_assert_num_queries(7):
        response = instructor_client.get(reverse("authoring:export", args=[world.course.slug, world.module.slug]))
    assert response.status_code == 200


def test_a_ta_of_the_course_cannot_import_or_export(client, world):
    client.force_login(world.ta)
    assert client.get(url(world)).status_code == 404
    assert client.post(url(world), {"files": [upload(SEED)]}).status_code == 404
    assert client.get(reverse("authoring:export", args=[world.course.slug, world.module.slug])).status_code == 404
    assert not Module.objects.filter(slug="activations-reflection").exists()


def test_files_too_large_to_carry_to_the_confirm_step_are_refused_before_it(instructor_client, world, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 17_000  # leaves about 600 bytes for the signed files
    response = instructor_client.post(url(world), {"files": [upload(SEED)], "module": "reflection"})
    assert response.status_code == 400
    page = response.content.decode()
    assert "too large to confirm in one go; import them in smaller groups" in page
    assert 'name="payload"' not in page
