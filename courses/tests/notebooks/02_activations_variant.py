# %% [markdown]
"""
## 🤔 ML Systems Thinking: Interactive Questions

Take time to reflect thoughtfully on each question.
"""

# %% [markdown]
"""
### Question 1: Computational Efficiency and Numerical Stability

**Context**: Your activation implementations handle basic operations like ReLU's max(0, x) and Softmax's exponential computations.

**Reflection Question**: Design a production-grade activation function system that balances computational efficiency with numerical stability.

Think about: vectorization strategies, overflow/underflow protection, and precision trade-offs.

*Target length: 150-300 words*
"""

# %% nbgrader={"grade": true, "grade_id": "question-1-computational-efficiency", "locked": false, "points": 10, "schema_version": 3, "solution": true, "task": false}
"""
YOUR REFLECTION ON COMPUTATIONAL EFFICIENCY AND NUMERICAL STABILITY:

Replace this text with your thoughtful response.

GRADING RUBRIC (Instructor Use):
- Demonstrates understanding of efficiency vs stability trade-offs (3 points)
- Addresses numerical stability concerns in large-scale systems (3 points)
- Shows practical knowledge of optimization strategies (2 points)
- Demonstrates systems thinking about activation function design (2 points)
"""

### BEGIN SOLUTION
# Student response area - instructor will replace this section during grading setup
### END SOLUTION

# %% [markdown]
"""
### Question 2: Hardware Optimization and Parallelization

**Context**: Production ML systems deploy these functions across CPUs, GPUs, TPUs and edge devices.

**Reflection Question**: Architect a hardware-aware activation function system that optimizes for different compute platforms.

*Target length: 200-400 words*
"""

# %% nbgrader={"grade": true, "grade_id": "question-2-hardware-optimization", "locked": false, "points": 15, "schema_version": 3, "solution": true, "task": false}
"""
YOUR REFLECTION ON HARDWARE OPTIMIZATION AND PARALLELIZATION:

Replace this text with your thoughtful response.

GRADING RUBRIC (Instructor Use):
- Shows understanding of hardware-specific optimization strategies (5 points)
- Designs practical approaches to parallel activation computation (5 points)
- Addresses platform consistency and performance trade-offs (5 points)
"""

### BEGIN SOLUTION
# Student response area
### END SOLUTION
