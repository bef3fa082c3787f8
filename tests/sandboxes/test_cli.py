"""`gym-agents sandbox doctor|build` (reap is covered with the docker tests)."""

from __future__ import annotations

from gym_agents.cli.main import main


def test_doctor_reports_each_backend(capsys):
    code = main(["sandbox", "doctor"])
    out = capsys.readouterr().out
    assert "bwrap backend" in out and "docker SDK" in out
    assert code in (0, 1)  # 1 only when something required is missing on this machine


def test_build_of_an_unknown_image_names_the_known_ones(capsys):
    assert main(["sandbox", "build", "no-such-image"]) == 2
    err = capsys.readouterr().err
    assert "no image 'no-such-image'" in err and "base" in err
