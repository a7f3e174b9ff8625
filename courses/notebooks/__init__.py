"""Reflection questions in and out of nbgrader notebooks (.ipynb and jupytext percent .py).

parse.py turns a notebook file into question drafts, importer.py plans and applies
an import against a course, export.py writes modules and submissions back out.
"""
