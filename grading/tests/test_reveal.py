"""Blind grading: graders see a pseudonym until they reveal the name, and each reveal is recorded."""

from grading.models import NameReveal


def test_the_grading_page_and_queue_show_the_pseudonym_not_the_name(client, world):
    world.student.first_name, world.student.last_name = "Ada", "Lovelace"
    world.student.save()
    client.force_login(world.ta)
    for url in (f"/grading/responses/{world.response.pk}/", f"/grading/questions/{world.question.pk}/"):
        page = client.get(url).content.decode()
        assert world.response.display_pseudonym in page
        assert "Lovelace" not in page


def test_revealing_records_who_and_shows_the_name_to_that_grader(client, world):
    world.student.first_name, world.student.last_name = "Ada", "Lovelace"
    world.student.save()
    client.force_login(world.ta)
    reply = client.post(f"/grading/responses/{world.response.pk}/reveal/", follow=True)
    assert "Ada Lovelace" in reply.content.decode()
    reveal = NameReveal.objects.get()
    assert (reveal.response, reveal.revealed_by) == (world.response, world.ta)
    client.force_login(world.instructor)
    assert "Lovelace" not in client.get(f"/grading/responses/{world.response.pk}/").content.decode()
