"""Signals courses sends so that apps built on it (grading) can react without courses importing them.

`rubric_changing` is sent inside the transaction, just before a graded question's points or
bands are written; `rubric_changed` just after. Both carry `question`, `actor` and `reason`.
A receiver of `rubric_changing` returns how many grades it flagged.
"""

from django.dispatch import Signal

rubric_changing = Signal()
rubric_changed = Signal()
