"""auditor checks list / explain."""
from __future__ import annotations

from auditor.cli import main


def test_list_shows_every_check_and_demonstration(capsys):
    assert main(["checks", "list"]) == 0
    out = capsys.readouterr().out
    for name in ("receptive_field", "dropout_composition", "tensor_shape", "true_false", "gradient_cause",
                 "yes_no", "numerical_gradient", "answered", "parameter_count", "output_shape", "gradient_flow"):
        assert f"  {name} " in out
    assert "recomputes: the receptive field of the spec's CNN, computed analytically and empirically" in out
    assert "tbptt_zero_gradient" in out and "Demonstrations" in out


def test_explain_prints_the_docstring(capsys):
    assert main(["checks", "explain", "receptive_field"]) == 0
    out = capsys.readouterr().out
    for part in ("Ground truth:", "Method:", "Tolerance:", "Common mistakes:", "signature: check_receptive_field",
                 "required model_code"):
        assert part in out


def test_explain_a_demonstration_prints_rerunnable_source(capsys):
    assert main(["checks", "explain", "newton_vs_momentum_ravine"]) == 0
    out = capsys.readouterr().out
    assert "def newton_vs_momentum_ravine():" in out and "import torch" in out
    assert "@demonstration" not in out


def test_unknown_name_exits_2_with_a_clear_message(capsys):
    assert main(["checks", "explain", "no_such_check"]) == 2
    err = capsys.readouterr().err
    assert "unknown check 'no_such_check'" in err and "receptive_field" in err


def test_no_action_is_a_usage_error(capsys):
    assert main(["checks"]) == 2
    assert "list | explain" in capsys.readouterr().err


def test_a_broken_installed_check_is_named_and_exits_2(monkeypatch, capsys):
    import auditor.cli.checks as cli_checks
    from auditor.judge.registry import FoundCheck, find_checks

    broken = FoundCheck("broken_check", "no_such_module_for_tests:check", "broken-pkg", "0.1")
    monkeypatch.setattr(cli_checks, "find_checks", lambda: (*find_checks(), broken))
    assert main(["checks", "list"]) == 2
    captured = capsys.readouterr()
    assert "receptive_field" in captured.out
    assert "broken_check" in captured.err and "broken-pkg" in captured.err
