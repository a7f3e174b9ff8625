"""The demo course: a TinyTorch-style ML-systems course with reflection questions in the seed's format."""

from courses.rubric import standard_bands

COURSE = {
    "slug": "tinytorch",
    "title": "TinyTorch: ML Systems",
    "description": (
        "Build a deep-learning framework from scratch in NumPy, one module at a time, "
        "and reflect on the systems behind each piece: cost, memory, stability and hardware."
    ),
}

# (number, slug, title, summary, due in days from now or None, late policy, opens in days or None)
MODULES = [
    (1, "tensor", "Tensor", "N-dimensional arrays, views and memory layout.", -7, "accept_late", None),
    (2, "activations", "Activations", "ReLU, Sigmoid, Tanh, GELU and Softmax, and what they cost.", 14, "reject", None),
    (3, "layers", "Layers", "Dense layers and parameter memory.", 21, "reject", None),
    (4, "autograd", "Autograd", "Reverse-mode differentiation and the memory it keeps.", 28, "reject", 7),
]


def _criteria(*lines: str) -> str:
    return "\n".join(f"- {line}" for line in lines)


QUESTIONS = {
    "tensor": [
        {
            "grade_id": "systems-thinking-response-1",
            "title": "Memory Layout and Views",
            "context": "Your `Tensor` wraps a NumPy array, and `reshape` and slicing return views that share memory.",
            "prompt": (
                "When a framework hands out views instead of copies, what does it gain in memory and speed, "
                "and what can go wrong when a view is modified in place during training? Consider contiguity, "
                "strides and how GPU kernels expect their inputs."
            ),
            "expected_response": "150-300 words analysing views, copies, strides and in-place hazards.",
            "bands": {
                "EXCELLENT": _criteria("Explains strides and contiguity precisely", "Connects views to kernel input requirements", "Identifies in-place aliasing hazards with an example"),
                "GOOD": _criteria("Understands views vs copies", "Some discussion of in-place risks"),
                "SATISFACTORY": _criteria("Basic understanding of memory sharing"),
                "NEEDS IMPROVEMENT": _criteria("Confuses views and copies"),
                "NO CREDIT": _criteria("No response or off-topic"),
            },
            "lab": "",
        },
    ],
    "activations": [
        {
            "grade_id": "systems-thinking-response-1",
            "title": "Computational Efficiency in Production",
            "context": (
                "Your ReLU is a single NumPy call, `np.maximum(0, x)`, while your Softmax needs an exponential "
                "per element, a reduction for the sum and a division, with care to avoid overflow."
            ),
            "prompt": (
                "In production networks that compute billions of activations per forward pass, how do the "
                "costs of ReLU and Softmax differ in time and memory traffic? What do you expect GPU kernels "
                "to do to make each fast, and why has ReLU become the default hidden-layer activation? "
                "Use the cost lab beside this question as evidence."
            ),
            "expected_response": "150-300 words analysing computational cost, memory bandwidth, kernel optimisations and production impact.",
            "bands": {
                "EXCELLENT": _criteria(
                    "Quantifies the cost difference (exponentials and reductions vs a comparison)",
                    "Recognises that elementwise activations are memory-bound and discusses kernel fusion",
                    "Explains ReLU's sparse outputs and simple gradient",
                    "Connects to real deployments with concrete numbers or examples",
                ),
                "GOOD": _criteria("Accurate comparison of costs", "Some awareness of GPU optimisations"),
                "SATISFACTORY": _criteria("Basic understanding that Softmax is more expensive", "Little on production"),
                "NEEDS IMPROVEMENT": _criteria("Vague or inaccurate about cost", "No connection to real systems"),
                "NO CREDIT": _criteria("No response or completely off-topic"),
            },
            "lab": "cost",
        },
        {
            "grade_id": "systems-thinking-response-2",
            "title": "Numerical Stability in Large Systems",
            "context": (
                "The first version of your Softmax clipped its inputs before `exp(x)` to avoid overflow; "
                "the stable version subtracts the maximum instead."
            ),
            "prompt": (
                "What happens to `exp(x) / sum(exp(x))` for inputs like `[1000, 1001, 1002]` in float32, and "
                "why does subtracting the maximum fix it exactly while clipping changes the answer? How can a "
                "single unstable activation cascade through a deep network, and what do production frameworks "
                "do to prevent it in the forward and the backward pass?"
            ),
            "expected_response": "150-300 words on overflow, the max-subtraction identity, cascading NaNs and production safeguards.",
            "bands": {
                "EXCELLENT": _criteria(
                    "Explains overflow to inf and the resulting NaN precisely",
                    "Shows why max-subtraction is exact and clipping is not",
                    "Describes cascade through layers and gradients",
                    "Names production safeguards (log-sum-exp, mixed precision loss scaling, gradient clipping)",
                ),
                "GOOD": _criteria("Understands overflow and the stable fix", "Some production awareness"),
                "SATISFACTORY": _criteria("Knows overflow happens", "Little on why the fix works"),
                "NEEDS IMPROVEMENT": _criteria("Unclear or inaccurate about stability"),
                "NO CREDIT": _criteria("No response or off-topic"),
            },
            "lab": "stability",
        },
        {
            "grade_id": "systems-thinking-response-3",
            "title": "Hardware Abstraction and Precision",
            "context": "Your activations are callables (`relu(x)`) that hide their implementation behind one interface.",
            "prompt": (
                "The same `relu(x)` or `softmax(x)` call runs on laptop CPUs, datacenter GPUs and TPUs, in "
                "float64, float32, bfloat16 or float16. Which of your activations give identical results across "
                "precisions and devices, which do not, and why? What must framework designers guarantee, and "
                "what can they only bound? Use the precision lab beside this question."
            ),
            "expected_response": "150-300 words on precision, determinism, hardware-specific kernels and API design.",
            "bands": {
                "EXCELLENT": _criteria(
                    "Distinguishes exact operations (ReLU) from rounded ones (exp, tanh, erf)",
                    "Discusses reduction order and non-determinism of parallel sums",
                    "Explains what an API can guarantee vs bound (ulps, tolerances)",
                    "Concrete examples from real frameworks or hardware",
                ),
                "GOOD": _criteria("Understands precision differences", "Some discussion of hardware"),
                "SATISFACTORY": _criteria("Basic awareness that precision matters"),
                "NEEDS IMPROVEMENT": _criteria("Minimal or inaccurate understanding"),
                "NO CREDIT": _criteria("No response or inaccurate fundamentals"),
            },
            "lab": "precision",
        },
    ],
    "layers": [
        {
            "grade_id": "systems-thinking-response-1",
            "title": "Parameter Memory at Scale",
            "context": "Your `Dense` layer stores a weight matrix of shape `(in_features, out_features)` and a bias.",
            "prompt": (
                "Estimate the memory for the weights, gradients and optimiser state of a 4096×4096 dense layer in "
                "float32 trained with Adam. How does this scale to a model with billions of parameters, and which "
                "systems techniques (sharding, mixed precision, offloading) address it?"
            ),
            "expected_response": "150-300 words with a worked memory estimate and scaling techniques.",
            "bands": {
                "EXCELLENT": _criteria("Correct arithmetic for weights, gradients and Adam moments", "Explains scaling and named techniques"),
                "GOOD": _criteria("Mostly correct estimate", "Some techniques"),
                "SATISFACTORY": _criteria("Partial estimate"),
                "NEEDS IMPROVEMENT": _criteria("Wrong or missing estimate"),
                "NO CREDIT": _criteria("No response"),
            },
            "lab": "",
        },
    ],
    "autograd": [
        {
            "grade_id": "systems-thinking-response-1",
            "title": "The Memory Cost of Reverse Mode",
            "context": "Your autograd keeps every intermediate needed by the backward pass.",
            "prompt": "Why does reverse-mode differentiation trade memory for time, and how does activation checkpointing change the trade?",
            "expected_response": "150-300 words on saved activations and checkpointing.",
            "bands": {
                "EXCELLENT": _criteria("Precise account of saved tensors", "Explains checkpointing's recomputation cost"),
                "GOOD": _criteria("Understands the trade"),
                "SATISFACTORY": _criteria("Basic idea"),
                "NEEDS IMPROVEMENT": _criteria("Inaccurate"),
                "NO CREDIT": _criteria("No response"),
            },
            "lab": "",
        },
    ],
}


def mark_scheme(points: int, bands: dict[str, str]) -> str:
    """The mark scheme in the seed notebook's layout."""
    lines = [f"GRADING CRITERIA ({points} points total):", ""]
    for band in standard_bands(points):
        low, high = band.min_points, band.max_points
        span = f"{low}-{high} points" if low != high else f"{low} points"
        lines += [f"{band.label} ({span}):", bands[band.label], ""]
    return "\n".join(lines).strip()


ANSWERS = {
    ("student2", "activations", 1): (
        "ReLU costs one comparison and one select per element, so on a GPU it is limited almost entirely by memory "
        "bandwidth: the kernel reads four bytes and writes four bytes per float32 activation and does nearly no "
        "arithmetic. Softmax is different in kind. Every element needs an exponential, which is a polynomial "
        "approximation costing tens of instructions, and then a reduction across the row to find the maximum and "
        "the sum, followed by a division. The reduction means threads have to cooperate through shared memory, so "
        "softmax cannot be a purely elementwise kernel. In the cost lab my server measured softmax at several times "
        "the cost of ReLU per element, and that matches what I expected from counting operations.\n\n"
        "Production kernels hide most of this by fusion: the activation is applied in the epilogue of the matrix "
        "multiply, so the intermediate never goes back to memory at all. Attention implementations like "
        "FlashAttention go further and compute softmax online, block by block, keeping running maxima and sums in "
        "registers. ReLU also helps the backward pass, because its gradient is a mask that can be stored as one bit "
        "per element, and its outputs are sparse, which some inference engines exploit. These are the reasons ReLU "
        "and its cheap relatives became the default for hidden layers, while softmax is kept for the places where a "
        "probability distribution is actually needed, such as the output layer and attention weights."
    ),
    ("student2", "activations", 2): (
        "In float32 the largest finite value is about 3.4e38, and exp(89) already exceeds it. So for the input "
        "[1000, 1001, 1002] every exponential overflows to infinity, the sum is infinity, and infinity divided by "
        "infinity is NaN. The stability lab shows exactly this: the naive variant returns NaN in every position. "
        "Subtracting the maximum works because softmax is invariant to adding a constant to every input: the factor "
        "exp(-m) cancels between numerator and denominator. After the shift the largest exponent is exp(0) = 1, so "
        "nothing overflows and the answer is mathematically identical. Clipping, by contrast, changes the inputs: "
        "if values are clipped to 88, then 1000, 1001 and 1002 all become 88 and the output is uniform, one third "
        "each, which is simply wrong.\n\n"
        "In a deep network one NaN is contagious. Any operation with a NaN input returns NaN, so a single bad "
        "activation spreads through the following layers, into the loss, and then through the backward pass into "
        "every gradient and every weight the optimiser touches. Frameworks guard against this in several ways: "
        "they use fused log-softmax and cross-entropy built on the log-sum-exp trick, mixed-precision training uses "
        "loss scaling with overflow checks that skip a step, and gradient clipping bounds the update size. Many "
        "training loops also check for non-finite losses and roll back."
    ),
    ("student2", "activations", 3): (
        "ReLU is one of the few activations that is exact in every precision: max(0, x) only compares and selects, "
        "so the result is the input or zero, with no rounding at all. The precision lab confirms that ReLU shows "
        "zero difference between float16, float32 and float64 once the input itself is representable. Sigmoid, "
        "tanh, GELU and softmax are different because they call transcendental functions. Each library and each "
        "device implements exp and erf with its own approximation, and the result is only guaranteed within a few "
        "units in the last place. In float16 the spacing between numbers near one is about 0.001, so the errors "
        "become visible in the third decimal place.\n\n"
        "Reductions add another source of difference. Softmax sums across a row, and floating point addition is "
        "not associative, so a GPU that sums in a tree of thousands of threads gets a slightly different answer "
        "from a CPU that sums left to right. Some frameworks offer deterministic modes that fix the reduction order "
        "at a cost in speed. A consistent API like relu(x) lets the framework dispatch to the best kernel for each "
        "device, but it cannot promise bitwise identical results for every operation. What designers can promise "
        "is a bound: documented tolerances, stable algorithms, and tests that compare every backend against a "
        "high-precision reference."
    ),
    ("student3", "activations", 1): (
        "ReLU is cheaper than softmax because it does not need exponentials. It just takes the max of zero and x. "
        "Softmax needs to compute exp for every value, then add them all up, then divide each value by the sum. "
        "That is three passes over the data instead of one, and exp is a slow function compared to a comparison. "
        "In big models with billions of activations this difference adds up and makes training slower.\n\n"
        "GPUs are good at doing the same simple operation on many values at the same time, so ReLU fits them "
        "perfectly. I think GPU kernels probably use special hardware units for exp to make softmax faster, and "
        "they might combine the activation with the layer before it so the data does not need to be written to "
        "memory and read again. Memory is often the bottleneck on GPUs, not arithmetic.\n\n"
        "ReLU became popular because it is fast and also because its gradient does not vanish for positive "
        "inputs, unlike sigmoid. This makes deep networks easier to train. The downside is dead neurons that "
        "always output zero, which is why variants like Leaky ReLU exist. Overall ReLU gives a good trade-off "
        "between speed and training quality, which is why most hidden layers use it today in production."
    ),
    ("student3", "activations", 2): (
        "Softmax can overflow because exp grows very fast. For big inputs like 1000 the result is larger than "
        "the biggest float, so it becomes infinity. Then dividing infinity by infinity gives NaN, and the output "
        "is useless. The fix is to subtract the largest value from every input before taking exp. This does not "
        "change the result because the constant cancels out in the fraction, but it keeps every exponent at zero "
        "or below, so there is no overflow.\n\n"
        "Clipping the inputs also avoids overflow, but it changes the values, so the probabilities are not "
        "correct any more when inputs are large. That is why the stable version is better.\n\n"
        "In a deep network a NaN in one layer will make the next layer produce NaN too, and then the loss is NaN "
        "and the gradients are NaN, so the whole model gets ruined after one update. Frameworks like PyTorch "
        "combine softmax with the log and the loss into one stable function, and people use gradient clipping "
        "and careful initialisation to keep values in a safe range. Mixed precision training also needs loss "
        "scaling so that small gradients do not underflow to zero in float16, which is another stability problem "
        "that appears at scale."
    ),
    # Close to student2's answer above, with a few words changed: the demo's pair of near-duplicate answers.
    ("student3", "activations", 3): (
        "ReLU is one of the few activations that is exact in every precision: max(0, x) only compares and selects, "
        "so the output is the input or zero, with no rounding at all. The precision lab confirms that ReLU shows "
        "zero difference between float16, float32 and float64 once the input itself is representable. Sigmoid, "
        "tanh, GELU and softmax are different since they call transcendental functions. Each library and each "
        "device implements exp and erf with its own approximation, and the result is only guaranteed within a few "
        "units in the last place. In float16 the gap between numbers near one is about 0.001, so the errors "
        "become visible in the third decimal place.\n\n"
        "Reductions add another source of difference. Softmax sums across a row, and floating point addition is "
        "not associative, so a GPU that sums in a tree of thousands of threads gets a slightly different answer "
        "from a CPU that sums left to right. Some frameworks offer deterministic modes that fix the reduction order "
        "at a cost in speed. A single API like relu(x) lets the framework dispatch to the best kernel for each "
        "device, but it cannot promise bitwise identical results for every operation. What designers can offer "
        "is a bound: documented tolerances, stable algorithms, and tests that compare each backend against a "
        "high-precision reference."
    ),
    # A weaker pair of answers, so one question has the three answers a calibration round needs.
    ("student4", "activations", 2): (
        "With inputs like 1000, 1001 and 1002 the exponentials are far too big for float32, whose largest value "
        "is around 3.4e38. They all become infinity, and dividing infinity by infinity gives NaN, which is what "
        "the stability lab printed for the naive version. Subtracting the maximum makes the biggest input zero, "
        "so its exponential is one and nothing overflows. I think this works because the same number is taken "
        "away from every input, so the ratios do not change. Clipping also stops the overflow but it makes all "
        "three inputs equal, so every output becomes one third, which is not the right answer.\n\n"
        "In a deep network a NaN in one layer is passed on to the next one, because any calculation with NaN "
        "gives NaN. After a few layers the loss is NaN and training cannot continue. Frameworks help with this, "
        "for example PyTorch has a log softmax function that is more stable, and people use gradient clipping "
        "so the updates do not get too large. Some training scripts also stop when the loss becomes NaN."
    ),
    ("student4", "activations", 3): (
        "ReLU gives the same answer on every device and precision because it only checks whether a number is "
        "below zero, so there is nothing to round. The precision lab showed no difference for ReLU between "
        "float16 and float64. Sigmoid and softmax are different because they use the exponential function, and "
        "this is computed with an approximation that can be slightly different on a CPU and on a GPU. In "
        "float16 there are far fewer digits, so the differences show up much earlier.\n\n"
        "Softmax also adds numbers together, and the order of additions can change the result a little, because "
        "floating point addition is not exactly associative. A GPU adds many numbers at the same time in a "
        "different order from a CPU loop, so the last digits can differ between devices.\n\n"
        "Framework designers can guarantee that the API is the same everywhere and that simple operations like "
        "ReLU are exact. For the other functions they can only promise that the error stays small, within a "
        "few units in the last place, and they should document this so users are not surprised by the results."
    ),
    ("student3", "tensor", 1): (
        "A view shares the same memory as the original array, so making one costs almost nothing: only a new "
        "shape and new strides are stored, and no data is copied. For big tensors this saves a lot of memory and "
        "time, because copying gigabytes of activations would be slow. Reshape, transpose and slicing can all "
        "return views in NumPy as long as the strides can describe the new layout.\n\n"
        "The problem is that a view is not always contiguous. After a transpose, elements that are next to each "
        "other logically are far apart in memory, and many GPU kernels expect contiguous inputs, so the framework "
        "has to make a copy anyway before calling the kernel. This is why PyTorch has a contiguous() method.\n\n"
        "Modifying a view in place is dangerous during training, because autograd may have saved the original "
        "tensor for the backward pass. If we change it in place, the saved value changes too and the gradient "
        "becomes wrong without any error. PyTorch keeps a version counter on tensors to detect this and raises an "
        "error. In my own Tensor class I would avoid in-place operations on anything that autograd might need, "
        "and copy when in doubt, even though it uses more memory."
    ),
}
