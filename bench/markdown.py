"""Markdown rendering time per KB on the slowest known patterns, and on ordinary texts.

Run `python bench/markdown.py [--sizes 10 50 100]`. For each pattern and size (KB) it prints
the median milliseconds of `render_markdown` as served, per KB, and whether the text ran out of
its render budget (then it is shown as escaped paragraphs); and the same render with no budget,
which shows the parser's own growth (linear: the per-KB figure stays flat as the size grows).
The patterns are the adversarial tests' (courses/tests/test_markdown_adversarial.py).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from harness import median_ms

ROOT = Path(__file__).resolve().parent.parent
WORST = ["[", "![", "[![a](", "[](", "a**b*", "table rows padded", "table 60 columns padded", "- items",
         "> lines", "<b x=…> unclosed", "<div> nesting"]


def ordinary_texts() -> dict:
    prose = "The gradient flows back through *every* op, so `x.grad` holds the [sum](https://a.b/c). "
    rich = ("## Memory\n\nActivations dominate: **batch × width** floats.\n\n- ReLU keeps a mask\n- GELU keeps x\n"
            "  - nested `tanh`\n\n> float16 tops out near 65 504.\n\n| op | bytes |\n|:--|--:|\n| relu | 1 |\n\n"
            "```python\ndef f(x):\n    return x\n```\n\n")
    return {"prose": prose, "dense Markdown": rich}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10, 50, 100], help="text sizes in KB")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "reflect_site.settings")
    import django

    django.setup()
    from courses.markdown import FALLBACK_NOTE, RENDER_BUDGET_SECONDS, render_markdown
    from courses.tests.test_markdown_adversarial import NO_BUDGET, PATTERNS, fill

    builders = {name: PATTERNS[name] for name in WORST}
    builders.update({name: (lambda n, unit=unit: fill(unit, n)) for name, unit in ordinary_texts().items()})
    print(f"render budget {RENDER_BUDGET_SECONDS * 1000:.0f} ms; median of {args.repeat}; "
          "'plain' = over budget, shown as escaped paragraphs")
    print(f"{'pattern':26}{'KB':>5}{'served ms':>11}{'ms/KB':>8}  {'':6}{'no budget ms':>13}{'ms/KB':>8}")
    for name, build in builders.items():
        for kb in args.sizes:
            text = build(kb * 1000)
            served = median_ms(lambda text=text: render_markdown(text), warmup=1, repeat=args.repeat)
            plain = "plain" if render_markdown(text).startswith(FALLBACK_NOTE) else ""
            full = median_ms(lambda text=text: render_markdown(text, budget_seconds=NO_BUDGET), warmup=0, repeat=1)
            print(f"{name:26}{kb:>5}{served:>11.1f}{served / kb:>8.2f}  {plain:6}{full:>13.1f}{full / kb:>8.2f}")


if __name__ == "__main__":
    main()
