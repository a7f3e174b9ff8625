"""Near-duplicate detection: how long one question's answers take to compare, and how that grows.

Run `DEBUG=1 python bench/similarity.py [--sizes 1000,2000,5000,10000] [--stored 1000]`. It prints the median
time of the detection alone (grading.similarity.near_duplicates: shingles, MinHash, LSH candidates and
their exact Jaccard check) for one question with each number of answers, then the whole "Check now"
(reading the answers, detecting, storing the pairs) for `--stored` answers on a throwaway SQLite file
and, when DATABASE_URL points at PostgreSQL, a throwaway database `reflect_bench_similarity`.

The answers are 150 to 300 words drawn with Zipf frequencies from a 5,000-word vocabulary (so
unrelated answers share common word runs, as real ones on one prompt do), and one in a hundred is a
copy of another with every twentieth word changed (Jaccard about 0.6): the figures include finding
and confirming those pairs, and the "pairs" column should be at least the number of copies.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
from pathlib import Path

from harness import measure_databases, median_ms

ROOT = Path(__file__).resolve().parent.parent
BENCH_DB = "reflect_bench_similarity"
VOCABULARY = [f"w{i}" for i in range(5000)]
WEIGHTS = [1 / (rank + 1) ** 1.1 for rank in range(len(VOCABULARY))]


def answers(count: int, seed: int = 7) -> list[str]:
    """`count` answers, one in a hundred a copy of an earlier one with every twentieth word changed."""
    rng = random.Random(seed)
    texts = []
    for i in range(count):
        if i % 100 == 99:
            words = texts[rng.randrange(i)].split()
            for j in range(rng.randrange(20), len(words), 20):
                words[j] = "changed"
            texts.append(" ".join(words))
        else:
            texts.append(" ".join(rng.choices(VOCABULARY, WEIGHTS, k=rng.randint(150, 300))))
    return texts


def _django() -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "reflect_site.settings")
    import django

    django.setup()


def detection(sizes: list[int]) -> None:
    _django()  # grading.similarity sits beside the models it stores pairs in
    from grading.similarity import DEFAULT_THRESHOLD, near_duplicates

    print(f"Detection alone, one question (median of runs, threshold {DEFAULT_THRESHOLD}):")
    print(f"{'answers':>10}{'copies':>8}{'pairs':>8}{'ms':>10}{'ms per 1,000':>14}")
    for size in sizes:
        texts = answers(size)
        found = near_duplicates(texts)
        repeat = 5 if size <= 2000 else 3
        ms = median_ms(lambda texts=texts: near_duplicates(texts), warmup=1, repeat=repeat)
        print(f"{size:>10,}{size // 100:>8}{len(found):>8}{ms:>10.0f}{ms * 1000 / size:>14.0f}", flush=True)


def measure(stored: int) -> dict:
    """Runs in a child process whose DATABASE_URL names the database to measure."""
    _django()
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.utils import timezone

    from courses.models import Course, Enrollment, Module, Question, Response, ResponseStatus, Role
    from grading.models import SimilarPair
    from grading.similarity import similar_answers_check

    call_command("migrate", verbosity=0)
    settings.DEBUG = False  # no query log, as in production
    User = get_user_model()
    course = Course.objects.create(slug="bench-similar", title="Bench")
    question = Question.objects.create(module=Module.objects.create(course=course, number=1, slug="m", title="M"),
                                       number=1, grade_id="q1", title="Q1", prompt="?")
    users = User.objects.bulk_create(User(username=f"s{i}") for i in range(stored))
    Enrollment.objects.bulk_create(Enrollment(user=u, course=course, role=Role.STUDENT) for u in users)
    now = timezone.now()
    Response.objects.bulk_create(
        Response(student=u, question=question, text=t, submitted_text=t, status=ResponseStatus.SUBMITTED,
                 submitted_at=now, submitted_word_count=len(t.split()), submission_count=1, version=1,
                 pseudonym=f"B{i:06d}")
        for i, (u, t) in enumerate(zip(users, answers(stored), strict=True))
    )
    started = time.perf_counter()
    similar_answers_check(question=question)
    first = (time.perf_counter() - started) * 1000
    again = median_ms(lambda: similar_answers_check(question=question), warmup=0, repeat=3)
    return {"first check (stores the pairs)": first, "check again (pairs kept)": again,
            "pairs": SimilarPair.objects.filter(question=question).count()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,2000,5000,10000")
    parser.add_argument("--stored", type=int, default=1000)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure(args.stored)))
        return
    detection([int(size) for size in args.sizes.split(",")])
    results = measure_databases(__file__, ["--stored", str(args.stored)], postgres_name=BENCH_DB)
    print(f"\n“Check now” on {args.stored:,} answers, reading and storing included (ms):")
    print(f"{'':34}" + "".join(f"{db:>12}" for db in results))
    for name in next(iter(results.values())):
        print(f"{name:34}" + "".join(f"{results[db][name]:12.0f}" for db in results))


if __name__ == "__main__":
    main()
