"""Small notebooks in each grading convention, written here for the tests (not copied from anyone):
a blank template and a submission that exercises the convention's messy cases."""
from __future__ import annotations

from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

MARK = r"$\color{blue}{\textit Your Answer:}$"
WHY = r"$\color{blue}{\textit Your Explanation:}$"


def _nb(cells) -> nbformat.NotebookNode:
    nb = new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    for c in cells:
        if isinstance(c, str):
            nb.cells.append(new_markdown_cell(c))
        else:
            kind, source, meta = (c + ({},))[:3] if len(c) == 2 else c
            cell = new_code_cell(source) if kind == "code" else new_markdown_cell(source)
            if meta.get("outputs"):
                cell.outputs = [new_output("stream", name="stdout", text=meta["outputs"])]
            if meta.get("nbgrader"):
                cell.metadata["nbgrader"] = meta["nbgrader"]
            nb.cells.append(cell)
    return nb


def write(path: Path, cells) -> Path:
    nbformat.write(_nb(cells), str(path))
    return Path(path)


# --------------------------------------------------------------------------- inline questions, LaTeX markers

def inline_template():
    return [
        ("code", "import numpy as np\nW = np.zeros((3, 10))"),
        "# Linear classifier",
        "**Inline Question 1**\n\nWhy is the starting loss of a ten-class softmax near 2.3? Explain.\n\n"
        f"{MARK} *Fill this in*\n",
        ("code", "# tune the learning rate here\nbest = None"),
        "**Inline Question 2** - *True or False*\n\nA hinge loss can stay the same after one more training point.\n\n"
        f"{MARK}\n\n{WHY}\n",
        "## Inline Question 3:\n\nWhich of these activations can stop the gradient? Select all that apply.\n"
        "1. Sigmoid\n2. ReLU\n3. Leaky ReLU\n\n## Answer:\n[FILL THIS IN]\n",
        ("code", "print('done')"),
    ]


def inline_submission():
    cells = inline_template()
    cells[2] = ("md", cells[2][: cells[2].index(MARK)] + f"{MARK} with equal scores each class gets 1/10, so -log(0.1)\n")
    cells[3] = ("code", "# tune the learning rate here\nbest = 0.001  # my choice")
    cells[4] = ("md", cells[4].replace(MARK, r"$\color{green}{\textit Your Answer:}$").replace(WHY, WHY + " 对"))
    cells[5] = ("md", cells[5].replace("[FILL THIS IN]", "[1, 2]"))
    return cells


def inline_blank_recoloured():
    cells = inline_template()
    cells[4] = ("md", cells[4].replace("blue", "green"))
    return cells


# --------------------------------------------------------------------------- nbgrader

def _g(grade_id, *, solution=False, grade=False, locked=False, points=None):
    meta = {"grade_id": grade_id, "solution": solution, "grade": grade, "locked": locked, "schema_version": 1}
    if points is not None:
        meta["points"] = points
    return {"nbgrader": meta}


STUB = "# YOUR CODE HERE\nraise NotImplementedError()"


def nbgrader_template():
    return [
        ("md", "# Assignment 7", _g("title", locked=True)),
        ("code", "import math\nvalues = [3, 1, 4, 1, 5]", _g("setup", locked=True)),
        ("md", "**Question 1a:** How many values are in `values`? Save it in `n_values`."),
        ("code", STUB, _g("count", solution=True)),
        ("code", "assert isinstance(n_values, int)", _g("test_count", grade=True, locked=True, points=1)),
        ("md", "**Question 1b:** Pick the true statement and record your choice in `q1b_answer`.\n\n"
               "1. the list is sorted\n2. the list has a repeated value\n3. the list is empty"),
        ("code", STUB, _g("pick", solution=True)),
        ("code", "assert q1b_answer in (1, 2, 3)", _g("test_pick", grade=True, locked=True, points=2)),
        ("md", "### 2a) Two facts\nSet `has_five` to True if 5 is in the list, and `is_long` to True if it has "
               "more than ten values."),
        ("code", STUB, _g("facts", solution=True)),
        ("code", "assert isinstance(has_five, bool)\nassert isinstance(is_long, bool)",
         _g("test_facts", grade=True, locked=True, points=1)),
        ("md", "In the cell below, explain in a sentence why `math.fsum` is more accurate than `sum`.",
         _g("explain-prompt", locked=True)),
        ("md", "YOUR ANSWER HERE", _g("explain", solution=True, grade=True, points=0)),
        ("md", "---"),
    ]


def nbgrader_submission():
    cells = nbgrader_template()
    cells[3] = ("code", "# YOUR CODE HERE\nn_values = len(values)", _g("count", solution=True))
    # 1b: graded cell left empty, answer in an inserted cell below it
    cells[6] = ("code", "", _g("pick", solution=True))
    cells.insert(7, ("code", "q1b_answer = 2"))
    # 2a: literal answers, one of them typed in a tuple
    cells[10] = ("code", "has_five, is_long = True, False", _g("facts", solution=True))
    # the written cell keeps its stub
    return cells


# --------------------------------------------------------------------------- Otter-grader

PLACEHOLDER = "_Type your answer here, replacing this text._"


def otter_template():
    return [
        ("code", "# Initialize Otter\nimport otter\ngrader = otter.Notebook(\"hw.ipynb\")"),
        "## Question 1: Probability ##\n\n<!--\nBEGIN QUESTION\nname: q1a\nmanual: true\npoints: 2\n-->\n\n"
        "### Question 1a ###\nWhich holds? (i) P(A) = 1 (ii) it cannot be found from the data. Pick one and explain.",
        PLACEHOLDER,
        "<!-- END QUESTION -->\n\n<!--\nBEGIN QUESTION\nname: q1b\npoints: 1\n-->\n\n### Question 1b ###\n"
        "How many outcomes does a die have? Assign it to `q1b`.",
        ("code", "q1b = ..."),
        ("code", "grader.check(\"q1b\")"),
        "<!-- BEGIN QUESTION -->\n\n### Question 1c ###\nShow that the mean of the deviations is zero.",
        PLACEHOLDER,
        "<!-- END QUESTION -->",
        ("code", "grader.check_all()"),
    ]


def otter_submission():
    cells = otter_template()
    cells[2] = ("md", PLACEHOLDER + ": (ii) because the joint distribution is not given")
    cells[4] = ("code", "q1b = 6")
    cells.insert(8, ("md", "I did it on paper..."))
    return cells


# --------------------------------------------------------------------------- printed labels

def labels_template():
    return [
        "# Exercises",
        "### Exercise 1\nWhat is the output shape of a 3x3 convolution on a 32x32 image without padding?",
        "Write your answer here",
        "**Task 2.** True or false: the learning rate must always decrease.",
        "**Your Answer:**",
        "Q3: What is the number of parameters of a 10x10 linear layer with bias?",
        ("code", "# your code\n"),
    ]


def labels_submission():
    cells = labels_template()
    cells[2] = ("md", "30x30")
    cells[4] = ("md", "**Your Answer:** False, schedules can also warm up.")
    cells[6] = ("code", "n_params = 10 * 10 + 10\nprint(n_params)", {"outputs": "110\n"})
    return cells
