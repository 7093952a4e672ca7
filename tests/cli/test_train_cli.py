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


def test_stage_ngram_settings_are_checked_before_anything_is_read(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from tests.classify.test_stage_ngram_train import tiny_model

    model = tmp_path / "model"
    tiny_model(stage=False).save(model)
    before = {p.name: p.read_bytes() for p in model.iterdir()}
    code = main(["train", "stage-ngram", "--model", str(model), "--c", "0"])
    assert code == 1
    err = capsys.readouterr().err
    assert "c must be positive" in err and "Traceback" not in err
    assert {p.name: p.read_bytes() for p in model.iterdir()} == before
    code = main(["train", "stage-ngram", "--model", str(tmp_path / "none")])
    assert code == 1
    assert "no model.json there" in capsys.readouterr().err


@pytest.mark.parametrize("had_stage_set", [True, False])
def test_train_classifier_warns_when_it_drops_a_first_stage_set(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    had_stage_set: bool,
) -> None:
    from sekimori.classify import train as train_module
    from sekimori.classify.prompt import has_stage_ngram
    from tests.classify.test_stage_ngram_train import tiny_model

    out = tmp_path / "model"
    tiny_model(stage=had_stage_set).save(out)

    def fake_train(settings: train_module.TrainSettings) -> train_module.TrainReport:
        # as `train.train`: new heads, without a first-stage set
        tiny_model(stage=False).save(settings.output)
        return train_module.TrainReport(settings.output, {}, 0.5, 0.7, 0.0, {})

    monkeypatch.setattr(train_module, "train", fake_train)
    code = main(["train", "classifier", "--finetune-layers", "0", "--output", str(out)])
    assert code == 0 and not has_stage_ngram(out)
    err = capsys.readouterr().err
    warned = "sekimori train stage-ngram --model" in err and "第一段専用の n-gram 重み" in err
    assert warned is had_stage_set


@pytest.mark.parametrize("value", ["-0.01", "0.06"])
def test_static_severe_loss_out_of_range_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], value: str
) -> None:
    model = tmp_path / "model"
    model.mkdir()
    (model / "model.json").write_text("{}")
    code = main(["train", "static", "--model", str(model), "--severe-loss", value])
    assert code == 1
    assert "--severe-loss must be between 0 and 0.05" in capsys.readouterr().err
    assert sorted(p.name for p in model.iterdir()) == ["model.json"]


@pytest.mark.parametrize(("args", "severe"), [([], 0.0), (["--severe-loss", "0.005"], 0.005)])
def test_static_points_are_chosen_with_the_severe_budget_asked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: list[str], severe: float
) -> None:
    from sekimori.classify import static_train

    model = tmp_path / "model"
    model.mkdir()
    (model / "model.json").write_text("{}")
    seen: list[static_train.StaticSettings] = []

    def fake(settings: static_train.StaticSettings) -> static_train.Choice:
        seen.append(settings)
        return static_train.Choice("mean", 0.05, 0.01, {"ordinary_cleared": {}})

    monkeypatch.setattr(static_train, "train_static", fake)
    assert main(["train", "static", "--model", str(model), "--points-only", *args]) == 0
    assert [(s.severe_loss, s.points_only, s.model_dir) for s in seen] == [(severe, True, model)]
