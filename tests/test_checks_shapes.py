"""checks.tensor_shape and checks.output_shape, and the meta-device snippet interpreter."""
from __future__ import annotations

import pytest
import torch

from auditor.models import Answer, Claim, Segment, Status
from checks.engines.snippet_shape import snippet_shape
from checks.engines.torch_snippet import TorchSnippet, UnsupportedCode, build_model, parameter_count
from checks.output_shape import check_output_shape
from checks.tensor_shape import check_tensor_shape

EMBEDDING = """import torch.nn as nn

X = torch.randint(low=0, high=42, size=(5, 6, 7, 8))
embedding = nn.Embedding(num_embeddings=42, embedding_dim=42000)
Y = embedding(X)
print(f"{Y.shape=}")
"""
ANSWERED = Answer("sequence-models/2.1", True, (Segment(38, "Y has shape (5,6,7,8,42000)", "markdown"),))


def test_seed_shape_passes():
    out = check_tensor_shape(ANSWERED, Claim("shape", [5, 6, 7, 8, 42000]), snippet=EMBEDDING, target="Y")
    assert out.status is Status.PASS and out.expected == [5, 6, 7, 8, 42000]


@pytest.mark.parametrize("claimed, part", [([5, 6, 7, 8, 42], "dim 4: 42 vs 42000"), ([5, 6, 7, 8], "4 dimensions")])
def test_wrong_shapes_fail_with_the_difference(claimed, part):
    out = check_tensor_shape(ANSWERED, Claim("shape", claimed), snippet=EMBEDDING, target="Y")
    assert out.status is Status.FAIL and part in out.message


def test_unreadable_unanswered_and_unsupported():
    assert check_tensor_shape(ANSWERED, Claim("shape", None, False), snippet=EMBEDDING).status is Status.REVIEW
    assert check_tensor_shape(Answer("x", False), Claim("shape", None), snippet=EMBEDDING).status is Status.UNANSWERED
    out = check_tensor_shape(ANSWERED, Claim("shape", [1]), snippet="Y = np.zeros(3)", target="Y")
    assert out.status is Status.REVIEW and "np" in out.message


def test_huge_embedding_costs_no_memory():
    value = TorchSnippet(EMBEDDING).value("Y")
    assert value.device.type == "meta" and tuple(value.shape) == (5, 6, 7, 8, 42000)


def test_output_shape_of_last_expression_from_question_code():
    cnn = ("cnn = nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.MaxPool2d(2))\n"
           "cnn(torch.rand(size=(1, 3, 64, 64))).shape")
    out = check_output_shape(ANSWERED, Claim("shape", [1, 4, 32, 32]), cnn)
    assert out.status is Status.PASS
    out = check_output_shape(ANSWERED, Claim("shape", [1, 4, 64, 64]), cnn)
    assert out.status is Status.FAIL
    assert check_output_shape(ANSWERED, Claim("shape", [1]), None).status is Status.REVIEW


@pytest.mark.parametrize("code, target, shape", [
    ("x = torch.zeros(2, 3)\nl = nn.Linear(3, 7)\ny = l(x).unsqueeze(0)", "y", (1, 2, 7)),
    ("a = torch.rand(4, 5)\nb = torch.rand(5, 6)\nc = a @ b", "c", (4, 6)),
    ("n = 3\nlayers = [nn.Linear(4, 4) for _ in range(n)]\nnet = nn.Sequential(*layers)\nout = net(torch.ones(2, 4))",
     "out", (2, 4)),
    ("x = torch.ones(2, 3, 4)\ny = x.permute(2, 0, 1).reshape(4, -1)", "y", (4, 6)),
    ("import torch.nn.functional as F\nx = torch.randn(8, 10)\ny = F.softmax(x, dim=1)[:3]", "y", (3, 10)),
])
def test_interpreter_shapes(code, target, shape):
    assert snippet_shape(code, target) == shape


def test_shared_modules_are_shared():
    code = "H = 4\nnet = nn.Sequential(nn.Linear(2, H), *[nn.Linear(H, H), nn.Sigmoid()] * 24)"
    model = build_model(code)
    assert len(model) == 49 and model[1] is model[3]
    assert parameter_count(model) == (2 * 4 + 4) + (4 * 4 + 4)


@pytest.mark.parametrize("code", [
    "x = __import__('os')",
    "x = open('/etc/passwd')",
    "x = torch.load('f.pt')",
    "x = [1] * 10**9",
    "x = 10 ** 10 ** 10",
    "x = (lambda: 1)()",
    "x = torch.zeros(2).numpy()",
    "x = nn.Module()",
])
def test_interpreter_refuses_everything_else(code):
    with pytest.raises(UnsupportedCode):
        TorchSnippet(code).value("x")


def test_names_bound_by_unsupported_statements_are_unknown():
    snippet = TorchSnippet("def f():\n    return 1\nfor i in range(3):\n    y = i\nz = 2")
    assert snippet.value("z") == 2
    with pytest.raises(UnsupportedCode, match="FunctionDef"):
        snippet.value("f")
    with pytest.raises(UnsupportedCode, match="For"):
        snippet.value("y")


def test_cpu_build_refuses_huge_models():
    with pytest.raises(UnsupportedCode, match="too many"):
        build_model("m = nn.Linear(100000, 100000)", device="cpu")
    assert isinstance(build_model("m = nn.Linear(3, 3)", device="cpu").weight, torch.Tensor)


@pytest.mark.parametrize("code", [
    "x = torch.ones(3, 1).expand(10**6, 10**6)\nm = nn.Linear(2, 2)\ny = (x * x).sum()",
    "m = nn.Sequential(nn.Linear(2, 2)(torch.ones(1, 2)))",
    "big = nn.Linear(100000, 100000)\nm = nn.Sequential(nn.Linear(2, 2), big.weight)",
])
def test_cpu_builds_never_compute_with_tensors(code):
    with pytest.raises(UnsupportedCode):
        TorchSnippet(code, "cpu").value("y" if "y =" in code else "m")


def test_builtins_do_not_iterate_tensors():
    with pytest.raises(UnsupportedCode):
        TorchSnippet("x = torch.zeros(10**9)\ny = list(x)").value("y")
    with pytest.raises(UnsupportedCode):
        TorchSnippet("x = torch.zeros(10**9)\ny = [*x]").value("y")


def test_meta_embedding_keeps_its_shape_checks_and_never_loads_dynamo():
    # nn.Embedding's own init (normal_) on the meta device imports torch._dynamo, 0.7 s per process
    # (every batch worker paid it); the interpreter hands it an empty meta weight instead
    import subprocess
    import sys
    code = ("import sys\nfrom checks.engines.snippet_shape import snippet_shape\n"
            "print(snippet_shape('e = nn.Embedding(10, embedding_dim=3, padding_idx=0)\\n"
            "y = e(torch.zeros(4, 7, dtype=torch.long))', 'y'))\n"
            "from checks.engines.torch_snippet import build_model\n"   # a CPU build's meta size probe too
            "print(build_model('e = nn.Embedding(10, 3)', 'e', device='cpu').weight.device)\n"
            "print('torch._dynamo' in sys.modules)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out == ["(4,", "7,", "3)", "cpu", "False"]
    with pytest.raises(UnsupportedCode, match="Embedding"):
        TorchSnippet("e = nn.Embedding(10, 3, _weight=torch.zeros(2, 2))").value("e")
    with pytest.raises(UnsupportedCode, match="Embedding"):
        TorchSnippet("e = nn.Embedding(embedding_dim=3)").value("e")
