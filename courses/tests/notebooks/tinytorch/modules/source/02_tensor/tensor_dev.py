# %% [markdown]
"""
# Tensor - Core Data Structure
"""

# %% nbgrader={"grade": true, "grade_id": "tensor-add", "locked": false, "points": 5, "schema_version": 3, "solution": true, "task": false}
#| export
def add(a, b):
    ### BEGIN SOLUTION
    return a + b
    ### END SOLUTION

# %% nbgrader={"grade": true, "grade_id": "test-tensor-add", "locked": true, "points": 5, "schema_version": 3, "solution": false, "task": false}
assert add(1, 2) == 3

# %% [markdown]
"""
## Part 10: ML Systems Thinking - Interactive Questions

### Reflect on Memory Layout

Your tensor stores its data in one contiguous NumPy array. Production frameworks care a great deal about how that memory is laid out.

**Question 1**: How does contiguous memory layout affect the speed of the operations you implemented? What would change for a transposed view?
"""

# %% nbgrader={"grade": true, "grade_id": "ml_systems_q1", "locked": false, "points": 10, "schema_version": 3, "solution": true}
"""
YOUR RESPONSE HERE

[Write a 150-300 word analysis of memory layout. Consider:
- Why contiguous arrays are faster for element-wise operations
- What a strided view costs
- How cache lines shape performance]
"""

# %% [markdown]
"""
### Understand Device Placement

Your tensor only lives on the CPU.

**Question 2**: What would your Tensor class need to run on a GPU as well?
"""

# %% nbgrader={"grade": true, "grade_id": "ml_systems_q2", "locked": false, "points": 10, "schema_version": 3, "solution": true}
"""
YOUR RESPONSE HERE

[Write a 100-200 word explanation. Consider:
- Where the data lives
- When copies between devices happen]
"""

# %% [markdown]
"""
## Part 11: Module Summary

You built the Tensor every later module uses.
"""
