# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
# ---

# %% [markdown]
"""
# Setup - Your First TinyTorch Function

Check the environment and write one function.
"""

# %% nbgrader={"grade": false, "grade_id": "setup-imports", "locked": false, "schema_version": 3, "solution": false, "task": false}
#| default_exp core.setup
import sys

# %% nbgrader={"grade": false, "grade_id": "personal-info", "locked": false, "schema_version": 3, "solution": true, "task": false}
#| export
def personal_info():
    """Return a dictionary describing the student."""
    ### BEGIN SOLUTION
    return {"name": "Ada", "python": sys.version_info[:2]}
    ### END SOLUTION

# %% [markdown]
"""
### 🧪 Unit Test: personal_info
"""

# %% nbgrader={"grade": true, "grade_id": "test-personal-info", "locked": true, "points": 5, "schema_version": 3, "solution": false, "task": false}
def test_personal_info():
    info = personal_info()
    assert "name" in info

test_personal_info()
