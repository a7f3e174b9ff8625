# %% [markdown] nbgrader={"grade": false, "grade_id": "precision-task-1", "locked": true, "schema_version": 3, "solution": false, "task": true}
"""
### Question 1: Precision 🔬 and overflow

**Context:** Softmax computes $\sigma(z)_i = e^{z_i} / \sum_j e^{z_j}$, and `float16` tops out near 65 504 ≈ 2¹⁶.

```python
def softmax(x):
    e = np.exp(x - x.max())
    return e / e.sum()
```

**Question:** Why does subtracting the maximum keep the result identical while avoiding `inf`? 🚀

<details>
<summary>Hint</summary>

Think about $e^{a-b} = e^a / e^b$.
</details>

**Expected Response:** 80-120 words on the max-subtraction identity.
"""

# %% [markdown] nbgrader={"grade": true, "grade_id": "precision-response-1", "locked": false, "schema_version": 3, "solution": true, "task": false, "points": 3}
"""
=== BEGIN MARK SCHEME ===
GRADING CRITERIA (3 points total):

FULL MARKS (3 points):
- States the identity and why the largest exponent becomes e⁰ = 1

PARTIAL (1-2 points):
- Names overflow but not the identity

NONE (0 points):
- Missing or wrong
=== END MARK SCHEME ===

**Your Response:**
[Student writes their analysis here - this cell will be editable by students]
"""

# %% [markdown] nbgrader={"grade": false, "grade_id": "precision-task-2", "locked": true, "schema_version": 3, "solution": false, "task": true}
"""
### Question 2: Mixed precision in training

**Context:** Loss scaling multiplies the loss by $2^k$ before the backward pass.

**Question:** When does loss scaling help, and when can it hurt?

**Expected Response:** 150-300 words.
"""

# %% [markdown] nbgrader={"grade": true, "grade_id": "precision-response-2", "locked": false, "schema_version": 3, "solution": true, "task": false, "points": 8}
"""
=== BEGIN MARK SCHEME ===
GRADING CRITERIA (8 points total):

OUTSTANDING (7-8 points):
- Explains underflow of small gradients and dynamic scaling

PROFICIENT (4-6 points):
- Explains underflow

DEVELOPING (1-3 points):
- Vague

NO CREDIT (0 points):
- Missing
=== END MARK SCHEME ===

**Your Response:**
[Student writes their analysis here - this cell will be editable by students]
"""
