"""Questions that carry their own inputs are judged without a spec; spec folders end to end."""
from __future__ import annotations

import json
import textwrap

from auditor.assignment.question_inputs import choice_inputs, propose
from auditor.cli import main
from auditor.models import Status
from auditor.pipeline import audit
from tests.notebook_factory import write_nb

CNN = ("import torch\nimport torch.nn as nn\nnet = nn.Sequential(nn.Conv2d(3, 8, kernel_size=3), nn.ReLU(),\n"
       "                    nn.Conv2d(8, 8, kernel_size=3, stride=2))\nnet(torch.rand(size=(1, 3, 64, 64))).shape")


def test_dropout_probabilities_stated_in_the_text():
    p = propose("A network applies two dropout layers with p1 = 0.1 and p2 = 0.2 one after the other. "
                "Which q of a single dropout layer is equivalent?")
    assert (p.claim, p.check, dict(p.params), p.needs_key) == ("probability", "dropout_composition",
                                                               {"p1": 0.1, "p2": 0.2}, False)
    assert propose(r"Dropout with $p_1 = 0.3$ then $p_{2} = 0.5$: which q?").params["p2"] == 0.5
    assert propose("p1 = 0.1 and p2 = 0.2: what is the sum?") is None           # no dropout, no q
    assert propose("Two dropout layers follow each other. Which q?") is None    # no probabilities


def test_a_network_in_the_question_code():
    rf = propose("What is the receptive field of one output pixel of this network?", CNN)
    assert rf.check == "receptive_field" and rf.params["input_size"] == 64
    pc = propose("How many trainable parameters does it have?", CNN)
    assert (pc.claim, pc.check) == ("number", "parameter_count")
    assert propose("What is the receptive field?", "x = (") is None              # code that does not parse


def test_a_snippet_whose_shape_is_asked():
    code = "import torch\nX = torch.zeros(4, 3)\nY = X.T @ X\nprint(Y.shape)"
    p = propose("What is the shape of Y after this code?", code)
    assert (p.claim, p.check, p.params["target"]) == ("shape", "tensor_shape", "Y")
    assert "print" not in p.params["snippet"]
    out = propose("What is the shape of the output?", "import torch\ntorch.zeros(2, 5).sum(0)")
    assert (out.check, out.params["snippet"].splitlines()[-1]) == ("output_shape", "torch.zeros(2, 5).sum(0)")
    assert propose("What is the shape of df?", "import pandas as pd\ndf = pd.read_csv('a.csv')\ndf.shape") is None


def test_listed_options_propose_a_choice_that_needs_a_key():
    text = "Which of the following will change when the batch grows? Select all that apply.\n" \
           "1. the loss scale\n2. the parameter count\n3. the gradient noise"
    p = propose(text)
    assert (p.claim, p.check, p.needs_key) == ("choice", "choice_selection", True)
    assert p.params["options"] == ["1. the loss scale", "2. the parameter count", "3. the gradient noise"]
    assert p.params["select"] == "many" and p.params["selected_verdict"] == "will change"
    one = choice_inputs("Pick the correct option.\n(i) 1.5\n(ii) 3.5\n(iii) 7.5")
    assert one["select"] == "one" and one["options"][1] == "ii. 3.5"
    assert propose("Explain why deeper networks are harder to train.") is None


def test_spec_less_audit_judges_a_question_that_carries_its_inputs(tmp_path):
    nb = write_nb(tmp_path / "quiz.ipynb", [
        "# Weekly quiz",
        "## Regularisation",
        "1. A network applies two dropout layers with p1 = 0.1 and p2 = 0.2, one after the other. "
        "Which q of a single dropout layer is equivalent?",
        "**Answer:** 0.28",
        "2. Which of these reduce overfitting? Select all that apply.\n\n   (a) more data\n\n   (b) more layers\n\n"
        "   (c) weight decay",
        "**Answer:** (a) and (c)",
        "3. Explain what dropout does at test time.",
        "**Answer:** it does nothing, activations are already scaled during training.",
    ])
    result = audit(nb, assignment="none", execute=False)
    by_id = {q.id: q for q in result.questions}
    q = by_id["regularisation/1"]
    assert (q.check, q.status, q.claimed) == ("dropout_composition", Status.PASS, 0.28)
    picked = by_id["regularisation/2"]
    assert picked.status == Status.MANUAL                      # the truth needs a key: a human decides
    assert picked.claimed == ["a", "c"]                        # read and shown, not judged
    assert by_id["regularisation/3"].status == Status.MANUAL
    wrong = write_nb(tmp_path / "quiz2.ipynb", [
        "# Weekly quiz", "## Regularisation",
        "1. A network applies two dropout layers with p1 = 0.1 and p2 = 0.2, one after the other. "
        "Which q of a single dropout layer is equivalent?",
        "**Answer:** 0.3",
    ])
    assert audit(wrong, assignment="none", execute=False).questions[0].status == Status.FAIL


SPEC = textwrap.dedent('''
    [assignment]
    id = "widget-course-hw1"
    [signature]
    "widget theory homework" = 1.0
    [[sections]]
    heading = "Basics"
    [[questions]]
    id = "basics/1"
    phrases = ["which widgets are round"]
    claim = "choice"
    check = "choice_selection"
    key = [1, 3]
    [questions.params]
    options = [1, 2, 3, 4]
''')


def test_audit_with_a_course_spec_folder_end_to_end(tmp_path, monkeypatch):
    monkeypatch.delenv("AUDITOR_SPECS", raising=False)
    folder = tmp_path / "specs"
    folder.mkdir()
    (folder / "hw1.toml").write_text(SPEC)
    nb = write_nb(tmp_path / "sub.ipynb", [
        "# Widget theory homework", "## Basics",
        "1. Which widgets are round? Select all that apply.\n\n   1. discs\n\n   2. cubes\n\n   3. rings\n\n   4. rods",
        "**Answer:** 1 and 3",
    ])
    out = tmp_path / "r.json"
    code = main(["audit", str(nb), "--specs", str(folder), "--no-execute", "--json", str(out),
                 "--html", str(tmp_path / "r.html"), "-q"])
    data = json.loads(out.read_text())
    assert "widget-course-hw1" in json.dumps(data["assignment"])
    q = next(q for q in data["questions"] if q["id"] == "basics/1")
    assert (q["status"], q["claimed"]) == ("pass", [1, 3]) and code == 0
    monkeypatch.setenv("AUDITOR_SPECS", str(folder))
    r = audit(nb, assignment="widget-course-hw1", execute=False)
    assert r.questions[0].status == Status.PASS
    assert main(["audit", str(nb), "--assignment", "no-such-id", "--no-execute", "-q",
                 "--json", str(out), "--html", str(tmp_path / "r.html")]) != 0


def test_a_verdict_list_is_mapped_through_the_questions_own_wording():
    from auditor.claims.read import read_claim
    from auditor.models import Answer, QuestionSpec, Segment, freeze

    def selection(question_text, answer_text):
        params = choice_inputs(question_text)
        q = QuestionSpec(id="s/1", section="s", number=1, claim="choice", params=freeze(params))
        return read_claim("choice", Answer("s/1", True, (Segment(0, answer_text, "markdown"),)), q).value

    listed = "\n1. the mean\n2. the median\n3. the range\n4. the mode"
    answer = "1. will not change\n2. may change, since ...\n3. will not change\n4. may change"
    assert selection("Which of these will change when one value is doubled?" + listed, answer) == [2, 4]
    assert selection("Which of these will not change when one value is doubled?" + listed, answer) == [1, 3]


def test_partial_credit_scales_the_points_end_to_end(tmp_path):
    from auditor.assignment.spec import parse_spec

    spec = parse_spec(SPEC.replace('options = [1, 2, 3, 4]', 'options = [1, 2, 3, 4]\npartial_credit = "proportional"')
                      .replace('key = [1, 3]', 'key = [1, 3]\npoints = 2'), str(tmp_path / "hw1.toml"))
    nb = write_nb(tmp_path / "sub.ipynb", [
        "# Widget theory homework", "## Basics",
        "1. Which widgets are round? Select all that apply.\n\n   1. discs\n\n   2. cubes\n\n   3. rings\n\n   4. rods",
        "**Answer:** only 1",
    ])
    q = audit(nb, assignment=spec, execute=False).questions[0]
    assert (q.status, q.points, q.max_points) == (Status.FAIL, 1.0, 2.0) and "missing [3]" in q.message
