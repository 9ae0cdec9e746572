"""Build our example assignment and its example submissions (written by us, in our own words).

    python notebooks/build_examples.py            # verify the facts with torch, write + execute
    python notebooks/build_examples.py --check    # only verify the facts (no files written)

Writes
  notebooks/example_assignment.ipynb           the blank template (no outputs)
  notebooks/submissions/strong.ipynb           everything right, code filled, executed
  notebooks/submissions/typical_mistakes.ipynb receptive field without the dilation (18),
                                               right formula / wrong arithmetic for q (0.52),
                                               a wrong true/false (activation-functions/1.2),
                                               a shape missing a dimension (4, 3, 16); executed
  notebooks/submissions/partly_blank.ipynb     several questions unanswered (an empty marker,
                                               TODOs left), q only in a printed output, a cell
                                               that raises NameError, and a saved
                                               ModuleNotFoundError that does not reproduce
                                               (stale output)

The answers sit where real students put them: in their own cell after the question
(``**Answer:**``), appended inside the question cell, interleaved with the sub-statements, in one
grouped cell per section, and in code cells and their printed output.

The spec that goes with the template is ``auditor/specs/example.toml``; the facts it states
(receptive field 26, q = 0.58, shape [4, 3, 9, 16], the gradients of mean(X @ W + b)) are
recomputed by ``verify_facts`` before anything is written.
"""
from __future__ import annotations

import argparse
import copy
import sys
import tempfile
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

HERE = Path(__file__).resolve().parent
SUBMISSIONS = HERE / "submissions"

# --------------------------------------------------------------------------- the assignment

CNN_CODE = """\
import torch
import torch.nn as nn

net = nn.Sequential(
    nn.Conv2d(in_channels=1, out_channels=8, kernel_size=5, padding=2),
    nn.ReLU(),
    nn.MaxPool2d(kernel_size=2),
    nn.Conv2d(in_channels=8, out_channels=16, kernel_size=3, stride=2, padding=1),
    nn.ReLU(),
    nn.Conv2d(in_channels=16, out_channels=16, kernel_size=3, dilation=2, padding=2),
)
print(net(torch.zeros(1, 1, 64, 64)).shape)"""

DROPOUT_CODE = """\
import torch.nn as nn

p1, p2 = 0.3, 0.4
block = nn.Sequential(
    nn.Linear(in_features=10, out_features=10),
    nn.ReLU(),
    nn.Dropout(p=p1),
    nn.Dropout(p=p2),
)"""

EMBEDDING_CODE = """\
import torch
import torch.nn as nn

tokens = torch.randint(low=0, high=100, size=(4, 3, 9))
emb = nn.Embedding(num_embeddings=100, embedding_dim=16)
vectors = emb(tokens)"""

GRADIENT_SETUP = """\
import torch

torch.manual_seed(0)
N, d = 20, 4
X = torch.rand(N, d, dtype=torch.float64)
W = torch.rand(d, d, dtype=torch.float64, requires_grad=True)
b = torch.rand(d, dtype=torch.float64, requires_grad=True)

def loss_fn(W, b):
    return torch.mean(X @ W + b)

loss = loss_fn(W, b)
print(f"loss = {loss.item():.4f}")
"""

GRADIENT_TODO = GRADIENT_SETUP + """
# TODO: estimate the gradients of loss w.r.t. W and b with finite differences
# grad_W = ...
# grad_b = ...

# TODO: compare with autograd
# loss.backward()
# print(torch.allclose(grad_W, W.grad), torch.allclose(grad_b, b.grad))"""

GRADIENT_SOLVED = GRADIENT_SETUP + """
# central differences, one entry at a time
eps = 1e-6
grad_W = torch.zeros_like(W)
grad_b = torch.zeros_like(b)
with torch.no_grad():
    for i in range(d):
        for j in range(d):
            W_up, W_down = W.clone(), W.clone()
            W_up[i, j] += eps
            W_down[i, j] -= eps
            grad_W[i, j] = (loss_fn(W_up, b) - loss_fn(W_down, b)) / (2 * eps)
        b_up, b_down = b.clone(), b.clone()
        b_up[i] += eps
        b_down[i] -= eps
        grad_b[i] = (loss_fn(W, b_up) - loss_fn(W, b_down)) / (2 * eps)

loss.backward()
print(torch.allclose(grad_W, W.grad), torch.allclose(grad_b, b.grad))"""

GRADIENT_FORWARD = GRADIENT_SETUP + """
# forward differences
h = 1e-7
grad_W = torch.zeros(d, d, dtype=torch.float64)
grad_b = torch.zeros(d, dtype=torch.float64)
with torch.no_grad():
    base = loss_fn(W, b)
    for i in range(d):
        for j in range(d):
            W2 = W.clone()
            W2[i, j] += h
            grad_W[i, j] = (loss_fn(W2, b) - base) / h
        b2 = b.clone()
        b2[i] += h
        grad_b[i] = (loss_fn(W, b2) - base) / h

loss.backward()
print(torch.allclose(grad_W, W.grad, atol=1e-6), torch.allclose(grad_b, b.grad, atol=1e-6))"""

# (key, cell type, source): the blank template, in order
TEMPLATE: list[tuple[str, str, str]] = [
    ("title", "markdown",
     "# Practice questions: deep learning basics\n\n"
     "Answer every question in a new cell right below it and start that cell with "
     "**Answer:**. Explain your reasoning; a bare number is not enough. Code cells marked "
     "`TODO` must be completed and must run from top to bottom."),
    ("h-cnn", "markdown", "### Convolutional networks"),
    ("cnn-1", "markdown",
     "1. In your own words: what does the stride of a convolution change, and how does it "
     "affect the size of the output?"),
    ("cnn-2", "markdown", "2. The following small network processes single-channel images of 64x64 pixels:"),
    ("cnn-2-code", "code", CNN_CODE),
    ("cnn-2-ask", "markdown",
     "How many input pixels wide is the region that one output value depends on? "
     "Give the side length of its receptive field and show how you got it."),
    ("h-dropout", "markdown", "### Dropout"),
    ("dropout-1", "markdown", "1. A block ends with two dropout layers in a row:"),
    ("dropout-1-code", "code", DROPOUT_CODE),
    ("dropout-1-ask", "markdown",
     "The two dropout layers could be swapped for a single `nn.Dropout(p=q)` that zeroes the "
     "same fraction of units. Write `q` as a formula in `p1` and `p2`, then give its value."),
    ("dropout-2", "markdown",
     "2. Say whether each statement is **true or false**, and justify:\n"
     "  1. Dropout layers still zero out units after `model.eval()` has been called.\n"
     "  2. With inverted dropout, the activations that are kept get multiplied by 1/(1-p) during training."),
    ("h-act", "markdown", "### Activation functions"),
    ("act-1", "markdown",
     "1. Are these statements about ReLU **true or false**? Explain briefly.\n"
     "  1. For every positive input, the derivative of ReLU equals 1.\n"
     "  2. A network that only uses ReLU activations is immune to vanishing gradients.\n"
     "  3. A ReLU unit whose input is negative for every example in the data set stops learning."),
    ("act-2", "markdown",
     "2. For a two-class problem, why is a sigmoid output trained with binary cross-entropy "
     "usually preferred over a mean-squared-error loss?"),
    ("h-emb", "markdown", "### Embeddings"),
    ("emb-1", "markdown", "1. Look at this snippet:"),
    ("emb-1-code", "code", EMBEDDING_CODE),
    ("emb-1-ask", "markdown", "What is the shape of `vectors`, and why does it have that shape?"),
    ("h-grad", "markdown", "### Numerical gradients"),
    ("grad-1", "markdown",
     "1. Complete the cell below: estimate the gradient of `loss` with respect to `W` and `b` "
     "by finite differences, store the results in `grad_W` and `grad_b`, and compare them with "
     "autograd using `torch.allclose`."),
    ("grad-1-code", "code", GRADIENT_TODO),
    ("grad-2", "markdown",
     "2. Name one advantage and one drawback of finite-difference gradients compared with backpropagation."),
]

# --------------------------------------------------------------------------- submissions
# Each edit: ("after", key, type, source) inserts a new cell after the template cell `key`
# (several "after" edits on one key keep their order); ("append", key, text) appends to a
# template markdown cell; ("replace", key, source) replaces a template cell's source.

STRONG = [
    ("after", "cnn-1", "markdown",
     "**Answer:** The stride is the step between two positions where the filter is applied. "
     "A stride of s skips s-1 positions each time, so the output is about s times smaller along "
     "each spatial axis, and every later layer sees a wider part of the input."),
    ("after", "cnn-2-ask", "markdown",
     "**Answer:** Going layer by layer with r_l = r_{l-1} + (k_l - 1) * d_l * j_{l-1} and "
     "j_l = j_{l-1} * s_l:\n\n"
     "- conv 5x5: r = 5, j = 1\n"
     "- max-pool 2: r = 5 + 1 * 1 = 6, j = 2\n"
     "- conv 3x3, stride 2: r = 6 + 2 * 2 = 10, j = 4\n"
     "- conv 3x3, dilation 2 (effective size 5): r = 10 + 4 * 4 = 26\n\n"
     "So each output value sees a **26x26** patch of the input."),
    ("after", "dropout-1-ask", "markdown",
     "**Answer:** A unit survives only if both layers keep it, with probability (1-p1)(1-p2). "
     "So $q = 1-(1-p_1)(1-p_2) = 1 - 0.7 \\cdot 0.6 = 0.58$."),
    ("after", "dropout-2", "markdown",
     "**Answer:**\n"
     "1. **False**: in eval mode dropout is the identity, nothing is zeroed.\n"
     "2. **True**: scaling the kept units by 1/(1-p) keeps the expected activation unchanged, "
     "so nothing has to be rescaled at test time."),
    ("after", "act-1", "markdown",
     "**Answer:**\n"
     "1. True. For x > 0, ReLU(x) = x, whose derivative is the constant 1.\n"
     "2. False. With a small initialisation the product of many small weight matrices still "
     "shrinks the gradient, and dead units pass no gradient at all.\n"
     "3. True. Its output and its gradient are zero for every example, so its weights never change."),
    ("after", "act-2", "markdown",
     "**Answer:** Cross-entropy punishes a confident wrong prediction without bound and its "
     "gradient through the sigmoid does not vanish when the sigmoid saturates; MSE with a "
     "sigmoid gives tiny gradients exactly when the model is badly wrong."),
    ("after", "emb-1-ask", "markdown",
     "**Answer:** `vectors.shape == (4, 3, 9, 16)`: the embedding replaces every integer token "
     "of the (4, 3, 9) input by its own 16-dimensional vector, adding one trailing dimension."),
    ("replace", "grad-1-code", GRADIENT_SOLVED),
    ("after", "grad-2", "markdown",
     "**Answer:** Advantage: it needs only forward passes, so it is a good test of a "
     "hand-written backward pass. Drawback: it costs two forward passes per parameter and is "
     "inexact (truncation and rounding error depend on eps)."),
]

TYPICAL_MISTAKES = [
    ("append", "cnn-1",
     "\n\n**Answer:** it is how far the kernel moves each step; a bigger stride gives a smaller output map."),
    ("after", "cnn-2-ask", "markdown",
     "**Answer:**\n"
     "The layers add 4, 1, 4 and 8 pixels: r = 5, then 6, then 10, and the last 3x3 conv adds "
     "(3-1)*4 = 8, so r = 18.\n\n"
     "The receptive field is 18x18."),
    ("append", "dropout-1-ask",
     "\n\n**Answer:** q = 1-(1-p1)(1-p2) = 1 - 0.7*0.6 = 1 - 0.48 = 0.52"),
    ("replace", "dropout-2",
     "2. Say whether each statement is **true or false**, and justify:\n"
     "  1. Dropout layers still zero out units after `model.eval()` has been called.\n\n"
     "     **Answer:** False, eval() turns dropout off.\n"
     "  2. With inverted dropout, the activations that are kept get multiplied by 1/(1-p) during training.\n\n"
     "     **Answer:** True"),
    ("after", "act-2", "markdown",
     "**Answers:**\n\n"
     "1.\n"
     "   1. True, the slope is 1 for positive inputs.\n"
     "   2. True, ReLU does not saturate so the gradient cannot vanish.\n"
     "   3. True, it is a dead neuron.\n"
     "2. Cross-entropy is the likelihood of a Bernoulli output, MSE is for regression."),
    ("after", "emb-1-ask", "markdown",
     "**Answer:** The shape is (4, 3, 16), each row of tokens gets an embedding of size 16."),
    ("replace", "grad-1-code", GRADIENT_FORWARD),
    ("after", "grad-2", "markdown",
     "**Answer:** easy to write; slow for many parameters."),
]

PARTLY_BLANK = [
    ("after", "title", "code", "import torch\nimport torch.nn as nn\nprint(torch.__version__ > '1')"),
    ("after", "cnn-1", "markdown",
     "**Answer:** the stride sets how many pixels the filter jumps, larger stride means smaller output."),
    ("after", "cnn-2-ask", "markdown", "**Answer:**"),
    ("after", "dropout-1-ask", "code", "q = 1 - (1 - p1) * (1 - p2)\nprint(f\"q = {q:.2f}\")"),
    ("after", "act-2", "markdown",
     "**Answers:**\n\n"
     "1.\n"
     "   1. True\n"
     "   2.\n"
     "   3. True, no gradient flows through it.\n"
     "2."),
    ("append", "emb-1-ask", "\n\n**Answer:** (4, 3, 9, 16)"),
    ("after", "grad-1-code", "code", "print(grad_W)"),
]

# the stale output: an error saved in a set-up cell that runs fine from a fresh kernel
# (the student once ran it in an environment without torch)
STALE_CELL_SOURCE = "import torch\nimport torch.nn as nn\nprint(torch.__version__ > '1')"
STALE_ERROR = ("ModuleNotFoundError", "No module named 'torch'")

# --------------------------------------------------------------------------- facts


def verify_facts() -> dict[str, object]:
    """Recompute every fact the spec and the answers rely on; raise if one is off."""
    import torch
    import torch.nn as nn

    scope: dict[str, object] = {}
    exec(CNN_CODE.replace("print(", "_ = ("), scope)  # our own code, not a student's
    net = scope["net"]
    r, j = 1, 1
    for layer in net:
        if isinstance(layer, nn.Conv2d):
            k, s, dil = layer.kernel_size[0], layer.stride[0], layer.dilation[0]
        elif isinstance(layer, nn.MaxPool2d):
            k, s, dil = layer.kernel_size, layer.stride, 1
        else:
            continue
        r, j = r + dil * (k - 1) * j, j * s
    linear = []
    for layer in net:  # unit weights, pooling averaged: the support of one output's gradient
        if isinstance(layer, nn.Conv2d):
            conv = nn.Conv2d(1, 1, layer.kernel_size, layer.stride, layer.padding, layer.dilation, bias=False)
            nn.init.ones_(conv.weight)
            linear.append(conv)
        elif isinstance(layer, nn.MaxPool2d):
            linear.append(nn.AvgPool2d(layer.kernel_size, layer.stride))
    x = torch.zeros(1, 1, 64, 64, dtype=torch.float64, requires_grad=True)
    y = nn.Sequential(*linear).double()(x)
    y[0, 0, y.shape[-2] // 2, y.shape[-1] // 2].backward()
    rows, cols = (x.grad[0, 0] != 0).nonzero(as_tuple=True)
    empirical = int(rows.max() - rows.min() + 1), int(cols.max() - cols.min() + 1)
    assert r == 26 and empirical == (26, 26), (r, empirical)

    p1, p2 = 0.3, 0.4
    q = 1 - (1 - p1) * (1 - p2)
    torch.manual_seed(0)
    dropped = (nn.Dropout(p2)(nn.Dropout(p1)(torch.ones(400_000))) == 0).double().mean().item()
    assert abs(q - 0.58) < 1e-12 and abs(dropped - q) < 0.005, (q, dropped)

    scope = {}
    exec(EMBEDDING_CODE, scope)
    shape = list(scope["vectors"].shape)
    assert shape == [4, 3, 9, 16], shape

    scope = {}
    exec(GRADIENT_SOLVED.replace("print(", "_ = ("), scope)
    X, d = scope["X"], scope["d"]
    want_W = (X.mean(dim=0) / d).unsqueeze(1).expand(d, d)
    assert torch.allclose(scope["grad_W"], want_W) and torch.allclose(scope["grad_b"], torch.full((d,), 1 / d, dtype=torch.float64))
    scope = {}
    exec(GRADIENT_FORWARD.replace("print(", "_ = ("), scope)
    assert torch.allclose(scope["grad_W"], want_W, atol=1e-6)
    return {"receptive_field": r, "empirical": empirical, "q": q, "q_monte_carlo": dropped, "shape": shape}


# --------------------------------------------------------------------------- building


def _cell(kind: str, source: str):
    return new_markdown_cell(source) if kind == "markdown" else new_code_cell(source)


def build(edits: list[tuple]) -> nbformat.NotebookNode:
    """The template with ``edits`` applied; cell ids are stable (c00, c01, ...)."""
    cells = []
    for key, kind, source in TEMPLATE:
        for edit in edits:
            if edit[1] != key:
                continue
            if edit[0] == "replace":
                source = edit[2]
            elif edit[0] == "append":
                source = source + edit[2]
        cells.append(_cell(kind, source))
        cells.extend(_cell(e[2], e[3]) for e in edits if e[0] == "after" and e[1] == key)
    known = {key for key, _, _ in TEMPLATE}
    unknown = [e for e in edits if e[1] not in known]
    assert not unknown, unknown
    nb = new_notebook(cells=cells)
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"c{i:02d}"
    nb.metadata = {
        "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
        "language_info": {"name": "python"},
    }
    return nb


def execute(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Run every cell in a fresh kernel in a scratch directory (errors kept as outputs)."""
    from nbclient import NotebookClient

    nb = copy.deepcopy(nb)
    with tempfile.TemporaryDirectory() as scratch:
        NotebookClient(nb, timeout=120, kernel_name="python3", allow_errors=True, record_timing=False,
                       resources={"metadata": {"path": scratch}}).execute()
    nb.metadata["language_info"] = {"name": "python"}  # no interpreter version in the file
    return nb


def add_stale_error(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Replace the outputs of the stale cell by a saved error that a fresh run does not raise."""
    ename, evalue = STALE_ERROR
    for cell in nb.cells:
        if cell.cell_type == "code" and cell.source == STALE_CELL_SOURCE:
            cell.outputs = [new_output("error", ename=ename, evalue=evalue, traceback=[
                "---------------------------------------------------------------------------",
                f"{ename}                                 Traceback (most recent call last)",
                "Cell In[1], line 1\n----> 1 import torch",
                f"{ename}: {evalue}",
            ])]
            cell.execution_count = 1
            return nb
    raise AssertionError("stale cell not found")


def write(nb: nbformat.NotebookNode, path: Path) -> None:
    nbformat.validate(nb)
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, str(path))
    print(f"wrote {path.relative_to(HERE.parent)}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only verify the facts")
    args = parser.parse_args(argv)
    print("facts:", verify_facts())
    if args.check:
        return 0
    write(build([]), HERE / "example_assignment.ipynb")
    write(execute(build(STRONG)), SUBMISSIONS / "strong.ipynb")
    write(execute(build(TYPICAL_MISTAKES)), SUBMISSIONS / "typical_mistakes.ipynb")
    write(add_stale_error(execute(build(PARTLY_BLANK))), SUBMISSIONS / "partly_blank.ipynb")
    return 0


if __name__ == "__main__":
    sys.exit(main())
