"""Training: both recipes run, resume continues where a run stopped, DDP runs under torchrun."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from safetensors.torch import load_file

from vst import zoo
from vst.cli import main as vst
from vst.core import Stylizer
from vst.core.stylizer import resolve_precision
from vst.training.curves import plot, smooth
from vst.training.export import export, flatten
from vst.training.loop import TrainError, autocast
from vst.training.train import STATE_FILE, add_arguments

REPO = Path(__file__).resolve().parents[1]


def train_args(data: tuple[Path, Path], out: Path, steps: int, *extra: str) -> list[str]:
    content, style = data
    return [
        "train", "--content", str(content), "--style", str(style), "--steps", str(steps),
        "--batch-size", "2", "--size", "32", "--save-every", "1", "--log-every", "1", "-o", str(out), *extra,
    ]  # fmt: skip


@pytest.mark.slow
def test_noise_resilient_recipe_writes_a_loadable_checkpoint(data, tmp_path):
    out = tmp_path / "nr"
    assert vst(train_args(data, out, 2, "--recipe", "noise-resilient", "--noise-kind", "impulse")) == 0
    config = json.loads((out / "config.json").read_text())
    assert config["recipe"] == "noise-resilient"
    assert config["noise"]["kind"] == "impulse"
    assert config["steps"] == 2
    assert "noise-resilient" in (out / "README.md").read_text()
    rows = (out / "log.csv").read_text().splitlines()
    assert float(rows[-1].split(",")[4]) > 0  # the noise term was computed
    Stylizer.from_pretrained(out, precision="fp32")


@pytest.mark.slow
def test_noise_shift_trains_and_is_recorded(data, tmp_path):
    out = tmp_path / "shift"
    objective = ["--recipe", "noise-resilient", "--noise-shift", "2", "--noise-weight", "50", "--style-weight", "12"]
    assert vst(train_args(data, out, 1, *objective)) == 0
    config = json.loads((out / "config.json").read_text())
    assert config["noise"]["shift"] == 2
    assert float((out / "log.csv").read_text().splitlines()[-1].split(",")[4]) > 0
    card = (out / "README.md").read_text()
    assert "translated by up to 2 pixels" in card
    # The card's retrain command re-creates the same objective.
    command = card.split("vst train ")[1].split("```")[0].replace("\\\n", " ").split()
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    retrain = vars(parser.parse_args(command))
    assert {key: retrain[f"noise_{key}"] for key in config["noise"]} == config["noise"]
    assert (retrain["recipe"], retrain["style_weight"]) == ("noise-resilient", 12)


@pytest.mark.slow
def test_resume_matches_an_uninterrupted_run(data, tmp_path):
    straight, resumed = tmp_path / "straight", tmp_path / "resumed"
    assert vst(train_args(data, straight, 4)) == 0
    assert vst(train_args(data, resumed, 2)) == 0
    assert vst(train_args(data, resumed, 4, "--resume")) == 0
    a, b = load_file(str(straight / STATE_FILE)), load_file(str(resumed / STATE_FILE))
    assert a.keys() == b.keys()
    for key in a:
        np.testing.assert_allclose(a[key].float().numpy(), b[key].float().numpy(), rtol=1e-5, atol=1e-6, err_msg=key)
    assert json.loads((resumed / "config.json").read_text())["steps"] == 4
    assert len((resumed / "log.csv").read_text().splitlines()) == 1 + 4


@pytest.mark.slow
def test_fine_tuning_inherits_the_tap_scales(data, tmp_path):
    base = tmp_path / "base"
    assert vst(train_args(data, base, 1)) == 0
    tuned = tmp_path / "tuned"
    assert vst(train_args(data, tuned, 1, "--init", str(base), "--recipe", "noise-resilient")) == 0
    scales = [json.loads((d / "config.json").read_text())["training"]["tap_scales"] for d in (base, tuned)]
    assert scales[0] == scales[1]
    init = json.loads((tuned / "config.json").read_text())["init"]
    assert init == {"from": str(base), "recipe": "baseline", "steps": 1}


@pytest.mark.slow
def test_torchrun_ddp_with_two_gloo_processes(data, tmp_path):
    out = tmp_path / "ddp"
    content, style = data
    cmd = [
        sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node", "2",
        "-m", "training.train", "--content", str(content), "--style", str(style), "--steps", "2",
        "--batch-size", "2", "--size", "32", "--save-every", "2", "-o", str(out),
    ]  # fmt: skip
    done = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=600)
    causes = [line for line in done.stderr.splitlines() if "rror" in line or "what()" in line or "terminate" in line]
    assert done.returncode == 0, "\n".join(causes[:20]) + "\n...\n" + done.stderr[-1500:]
    config = json.loads((out / "config.json").read_text())
    assert config["training"]["world_size"] == 2
    state = load_file(str(out / STATE_FILE))
    assert {"rng.0", "rng.1"} <= state.keys()  # every rank's RNG is saved for resuming


@pytest.mark.slow
def test_held_out_styles_are_measured_not_trained_on(data, tmp_path):
    content, _ = data
    held_out = tmp_path / "held-out.txt"
    held_out.write_text("1.png\n")
    out = tmp_path / "eval"
    extra = ["--exclude-styles", str(held_out), "--eval-content", str(content), "--eval-every", "2"]
    augment = ["--style-scale", "1.5", "3", "--style-hue", "0.5", "--style-mix", "0.5", "--style-grayscale", "0.2"]
    assert vst(train_args(data, out, 2, "--workers", "0", *extra, *augment)) == 0
    header, row = (out / "eval.csv").read_text().splitlines()
    values = dict(zip(header.split(","), row.split(",")))
    assert values["step"] == "2"
    assert float(values["unseen_style_ratio"]) > 0 and float(values["trained_style_ratio"]) > 0
    training = json.loads((out / "config.json").read_text())["training"]
    assert training["exclude_styles"] == str(held_out) and training["style_mix"] == 0.5
    held_out.write_text("0.png\n1.png\n")  # every style held out: nothing left to train on
    assert vst(train_args(data, tmp_path / "none", 1, "--exclude-styles", str(held_out))) == 2


def test_an_export_under_a_new_name_drops_what_belonged_to_the_old_one(tmp_path):
    """An embedded variant kept as a milestone: no 'use it for' line of the variant, no sample left behind."""
    milestone = export(Path("zoo/weights/lite-noise-resilient"), tmp_path / "milestone", "a-milestone")
    config = json.loads((milestone / "config.json").read_text())
    card = (milestone / "README.md").read_text()
    assert config["name"] == "a-milestone" and config["use_for"] is None and config["sample"] is None
    assert "Use it for" not in card and "sample.jpg" not in card and not (milestone / "sample.jpg").exists()
    assert config["speed"] and "Speed on a 2-core CPU" in card  # the same weights: their speed still holds
    again = export(milestone, tmp_path / "again", "lite-noise-resilient", sample=Path("docs/portraits.jpg"))
    config = json.loads((again / "config.json").read_text())
    assert config["use_for"] == zoo.get_variant("lite-noise-resilient").use_for and (again / "sample.jpg").is_file()


@pytest.mark.slow
def test_resume_from_a_committed_milestone(data, tmp_path):
    run = tmp_path / "run"
    assert vst(train_args(data, run, 2)) == 0
    milestone = tmp_path / "milestone"
    export(run, milestone, "baseline")
    assert not (milestone / STATE_FILE).exists()
    assert vst(train_args(data, milestone, 3, "--resume")) == 0
    config = json.loads((milestone / "config.json").read_text())
    assert config["steps"] == 3
    tap_scales = json.loads((run / "config.json").read_text())["training"]["tap_scales"]
    assert config["training"]["tap_scales"] == tap_scales


@pytest.mark.slow
def test_a_checkpoint_keeps_the_history_of_the_runs_that_made_it(data, tmp_path):
    """Resumed on other data (another machine, say), then fine-tuned: the card tells every phase."""
    run = tmp_path / "run"
    assert vst(train_args(data, run, 2)) == 0
    content, style = data
    assert vst(train_args((content, style), run, 3, "--resume", "--content", str(content), str(style))) == 0
    tuned = tmp_path / "tuned"
    assert vst(train_args(data, tuned, 1, "--init", str(run), "--recipe", "noise-resilient")) == 0
    config = json.loads((tuned / "config.json").read_text())
    history = config["history"]
    assert [(h["steps"], h["schedule"], h["content_images"]) for h in history] == [(2, [[0, 32]], 3), (3, [[2, 32]], 5)]
    assert "initialised from: the weights of the runs listed below, at step 2" in (run / "README.md").read_text()
    card = (tuned / "README.md").read_text()
    assert "1. `baseline`: 32 px for steps 0-2 at batch 2" in card and "2. `baseline`: 32 px for steps 2-3" in card


@pytest.mark.slow
def test_the_lite_objective_fine_tunes_a_distilled_student(data, tmp_path):
    """The embedded lite came from `training.distill`; `vst train --init` takes it on, and its history says so."""
    tuned = tmp_path / "tuned"
    assert vst(train_args(data, tuned, 1, "--network", "lite-vggstyle", "--init", "zoo/weights/lite")) == 0
    config = json.loads((tuned / "config.json").read_text())
    assert config["architecture"] == "adain-lite-vggstyle-relu4_1"
    distilled = config["history"][-1]
    assert "distilled from" in distilled["recipe"] and distilled["schedule"] == [[0, 256]]


@pytest.mark.slow
def test_a_time_limit_saves_and_stops(data, tmp_path):
    run = tmp_path / "run"
    assert vst(train_args(data, run, 1000, "--time-limit", "0.001", "--eval-content", str(data[0]))) == 0
    config = json.loads((run / "config.json").read_text())
    assert config["steps"] == 1  # the first step past the limit (checked at every log line) is the last
    assert (run / STATE_FILE).exists() and (run / "eval.csv").read_text().splitlines()[1].startswith("1,")


def test_auto_precision_trains_in_bf16_where_inference_runs_fp16(monkeypatch):
    """One rule for "auto": CUDA stylizes in fp16 but trains in bf16 (no loss scaler), fp32 where there is no bf16;
    the CPU answers alike for both. fp16 on the CPU is refused in one line."""
    cuda, cpu = torch.device("cuda"), torch.device("cpu")
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda: True)
    assert resolve_precision("auto", cuda) == torch.float16
    assert resolve_precision("auto", cuda, training=True) == torch.bfloat16
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda: False)
    assert resolve_precision("auto", cuda, training=True) == torch.float32
    assert resolve_precision("auto", cpu, training=True) == resolve_precision("auto", cpu)
    with pytest.raises(TrainError, match="fp16 is for CUDA"):
        autocast("fp16", cpu)


def test_quality_metrics_flatten_for_the_model_card():
    nested = {"unseen": {"512": {"style_ratio": 0.3}}, "trained": {"256": {"colour_spread_ratio": 0.9}}}
    assert flatten(nested) == {"unseen_512px_style_ratio": 0.3, "trained_256px_colour_spread_ratio": 0.9}


def test_curves_plot_losses_and_the_held_out_ratio(tmp_path):
    (tmp_path / "log.csv").write_text(
        "step,loss,content,style,noise,lr,steps_per_s\n" + "".join(f"{s},3,2,{1 / s},0,1e-4,1\n" for s in range(1, 30))
    )
    (tmp_path / "eval.csv").write_text(
        "step,trained_style_ratio,trained_content_distance,unseen_style_ratio,unseen_content_distance,gap\n"
        "10,0.5,1,0.6,1,0.1\n20,0.4,1,0.45,1,0.05\n"
    )
    out = plot(tmp_path, tmp_path / "curves.png")
    assert out.stat().st_size > 10_000
    np.testing.assert_allclose(smooth(np.array([1.0, 3.0, 5.0, 7.0]), 2), [1, 2, 4, 6])


@pytest.mark.slow
def test_lite_trains_student_and_decoder_and_resumes(data, tmp_path):
    """--network lite: the student is trained and bundled, distilled onto VGG, and a noise-resilient fine-tune
    starts from it; a full checkpoint is refused as its start in one line."""
    run = tmp_path / "lite"
    assert vst(train_args(data, run, 2, "--network", "lite", "--eval-content", str(data[0]))) == 0
    config = json.loads((run / "config.json").read_text())
    assert config["architecture"] == "adain-lite-relu4_1" and config["teacher"]["name"].startswith("vgg19")
    assert (run / "encoder.safetensors").exists()
    header, *rows = (run / "log.csv").read_text().splitlines()
    assert float(rows[-1].split(",")[header.split(",").index("distill")]) > 0
    before = load_file(str(run / "encoder.safetensors"))
    assert vst(train_args(data, run, 3, "--network", "lite", "--resume")) == 0
    after = load_file(str(run / "encoder.safetensors"))
    assert any(not np.allclose(before[k].numpy(), after[k].numpy()) for k in before)  # the student learns
    tuned = tmp_path / "tuned"
    assert vst(train_args(data, tuned, 1, "--network", "lite", "--init", str(run), "--recipe", "noise-resilient")) == 0
    stylizer = Stylizer.from_pretrained(tuned, precision="fp32")
    assert stylizer.encoder.widths == (16, 32, 64, 256)
    assert "lite student" in (tuned / "README.md").read_text()
    full = str(REPO / "zoo" / "weights" / "baseline")
    assert vst(train_args(data, tmp_path / "bad", 1, "--network", "lite", "--init", full)) == 2
