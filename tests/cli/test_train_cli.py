"""`sekimori train classifier --reuse-delta`: bad combinations stop with a clear error, before
any data is read or anything is written."""

from pathlib import Path

import pytest

from sekimori.cli import main


def test_reuse_delta_with_encoder_tuning_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    delta = tmp_path / "encoder_delta.npz"
    delta.write_bytes(b"")
    out = tmp_path / "model"
    code = main(["train", "classifier", "--reuse-delta", str(delta), "--output", str(out)])
    assert code == 1
    err = capsys.readouterr().err
    assert "--reuse-delta needs --finetune-layers 0" in err and "Traceback" not in err
    assert not out.exists()


def test_reuse_delta_names_a_missing_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "nope.npz"
    args = ["--finetune-layers", "0", "--reuse-delta", str(missing)]
    code = main(["train", "classifier", *args, "--output", str(tmp_path / "model")])
    assert code == 1
    err = capsys.readouterr().err
    assert f"no such file: {missing}" in err and "Traceback" not in err


def test_static_points_only_with_trained_vectors_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    model = tmp_path / "model"
    model.mkdir()
    (model / "model.json").write_text("{}")
    code = main(["train", "static", "--model", str(model), "--points-only", "--train-vectors"])
    assert code == 1
    err = capsys.readouterr().err
    assert "--points-only keeps static.npz" in err and "Traceback" not in err
    assert sorted(p.name for p in model.iterdir()) == ["model.json"]


def test_second_opinion_on_another_prompt_model_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Its points are chosen on the deployed classifier's scores: another model is refused
    before any data is read or anything is written."""
    model = tmp_path / "model"
    model.mkdir()
    (model / "model.json").write_text("{}")
    out = tmp_path / "second"
    code = main(["train", "second-opinion", "--model", str(model), "--output", str(out)])
    assert code == 1
    err = capsys.readouterr().err
    assert "--model must be the installed prompt model" in err and "Traceback" not in err
    assert not out.exists()
