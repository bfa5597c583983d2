"""The self-test passes on this installation, step by step."""

from __future__ import annotations

from shoplytics_desktop.cli import main


def test_selftest_passes(capsys) -> None:
    assert main(["self-test"]) == 0
    out = capsys.readouterr().out
    for step in ("generate", "import", "contract", "run", "charts", "export"):
        assert f"ok   {step}" in out
    assert "self-test PASS: 6/6 steps" in out
    assert "20,000 events loaded" in out
