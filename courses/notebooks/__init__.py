"""Reflection questions in and out of nbgrader notebooks (.ipynb and jupytext percent .py).

parse.py turns a notebook file into question drafts, importer.py plans and applies
an import against a course, folders.py finds the notebooks of a course's folder tree,
export.py writes modules and submissions back out, submissions.py reads students'
submitted notebooks back in as answers.
"""
