"""The per-question comment bank: staff add reusable comments; the grading page offers them."""

from grading.models import Comment


def test_a_ta_adds_a_comment_and_returns_to_the_response(client, world):
    client.force_login(world.ta)
    reply = client.post(f"/grading/questions/{world.question.pk}/comments/", {
        "text": "  Quantify the exp() cost.  ", "response": world.response.pk,
    })
    assert reply["Location"] == f"/grading/responses/{world.response.pk}/"
    comment = Comment.objects.get()
    assert (comment.text, comment.question) == ("Quantify the exp() cost.", world.question)
    assert comment.created_by == world.ta
    page = client.get(reply["Location"]).content.decode()
    assert 'data-comment="Quantify the exp() cost."' in page


def test_an_empty_or_repeated_comment_is_refused(client, world):
    client.force_login(world.ta)
    url = f"/grading/questions/{world.question.pk}/comments/"
    assert "A comment needs some text." in client.post(url, {"text": " "}, follow=True).content.decode()
    client.post(url, {"text": "Once."})
    assert "already in the bank" in client.post(url, {"text": "Once."}, follow=True).content.decode()
    assert Comment.objects.count() == 1


def test_a_comment_never_sends_the_grader_to_a_response_of_another_question(client, world):
    from courses.tests.factories import make_question, make_response, make_user

    elsewhere = make_response(make_user("x"), make_question(world.module, 2))
    client.force_login(world.ta)
    reply = client.post(f"/grading/questions/{world.question.pk}/comments/", {"text": "Hi", "response": elsewhere.pk})
    assert reply["Location"] == f"/grading/questions/{world.question.pk}/"
