"""What the training loops share (`training.train`, `training.distill`): their precision, the resumable state, the
log, the clock, the samples and the checkpoint they write.

Each loop keeps its own networks and objective in its own file; these are the parts that must behave alike in
both, so that a run of either saves, stops and resumes the same way.
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import json
import math
import sys
import time
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from functools import partial
from pathlib import Path
from typing import TypeVar

import torch
import torch.distributed as dist
from safetensors import safe_open
from safetensors.torch import load_file
from torch import nn

from vst.core.checkpoint import ENCODER_FILE, architecture_of, save_checkpoint
from vst.core.encoder import EncoderIdentity, save_state_atomic, weights_sha256
from vst.core.errors import VstError
from vst.core.stylizer import resolve_precision
from vst.zoo.card import write_model_card

STATE_FILE = "train_state.safetensors"

Autocast = Callable[[], AbstractContextManager]


class TrainError(VstError):
    """A training setting that cannot work; the message names the option."""


Config = TypeVar("Config")


def check_style_encoder(config: dict, identity: EncoderIdentity, folder: str | Path) -> None:
    """A style map fits only the VGG-19 weights it was fitted to (`style_encoder`): a run that starts from one must
    read styles through those same weights (--encoder)."""
    recorded = config.get("style_encoder")
    if recorded is not None and recorded["sha256"] != identity.sha256:
        raise TrainError(f"{folder}'s style map was fitted to other VGG-19 weights than --encoder's")


def config_from(cls: type[Config], args: argparse.Namespace) -> Config:
    """A run's config from its parsed options: those that are the dataclass's fields (the rest, such as
    --output and --resume, are about the run, not its recipe)."""
    names = {f.name for f in dataclasses.fields(cls)}
    return cls(**{k: v for k, v in vars(args).items() if k in names})


def command(run: Callable[[], object]) -> None:
    """A training module's command line: a user error (`VstError`: an option that cannot work, missing data) ends
    in one line on stderr and exit 2, as `vst`'s commands do, not in a traceback."""
    try:
        run()
    except VstError as e:
        print(f"error: {e}", file=sys.stderr)
        sys.exit(2)


def autocast(precision: str, device: torch.device) -> Autocast:
    """The autocast contexts a loop's forward passes run in: the engine's training precision for `device`."""
    try:
        dtype = resolve_precision(precision, device, training=True)
    except ValueError as e:
        raise TrainError(str(e)) from None
    return partial(torch.autocast, device.type, dtype=dtype, enabled=dtype != torch.float32)


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
    """What `save_state` wrote, into the trainee and the optimizer; the step and every rank's RNG state."""
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


def save_run(
    out: Path,
    config: dict,
    trainee: nn.ModuleDict,
    opt: torch.optim.Optimizer,
    rng: list[torch.Tensor],
    frozen_encoder: EncoderIdentity | None = None,
) -> None:
    """The checkpoint, its model card, and the state a resume needs, at step `config["steps"]`.

    A trained student encoder (`trainee["encoder"]`) travels with the decoder as encoder.safetensors, identified
    by its own hash; a decoder alone names the frozen encoder it was trained for (`frozen_encoder`). A trained
    style map (`trainee["style_map"]`) travels as style_map.safetensors.
    """
    bundled, identity = None, frozen_encoder
    if "encoder" in trainee:
        bundled = {k: v.detach().cpu().float() for k, v in trainee["encoder"].state_dict().items()}
        identity = EncoderIdentity(f"file:{ENCODER_FILE}", weights_sha256(bundled))
    config = {**config, "encoder": identity.to_dict()}
    architecture = architecture_of(config)
    style_map = trainee["style_map"] if "style_map" in trainee else None  # noqa: SIM401 (a ModuleDict has no .get)
    save_checkpoint(
        out,
        trainee["decoder"],
        identity,
        config,
        encoder_weights=bundled,
        architecture=architecture,
        style_map=style_map,
    )
    write_model_card(out, config)
    save_state(out, config["steps"], trainee, opt, rng)


def backward_step(opt: torch.optim.Optimizer, loss: torch.Tensor, step: int) -> None:
    """One optimizer step on `loss`; a loss that is no longer finite stops the run, naming the step."""
    opt.zero_grad(set_to_none=True)
    loss.backward()
    opt.step()
    if not math.isfinite(loss.item()):
        raise FloatingPointError(f"loss became {loss.item()} at step {step}")


def due(done: int, every: int, last: bool) -> bool:
    """Whether a periodic task (log, sample, evaluation, save) runs after step `done`."""
    return done % every == 0 or last


class Clock:
    """A run's wall time across its resumes, and this process's time limit (0: none).

    The limit is looked at every `check_every` steps; under DDP rank 0's clock decides for every rank, so that
    all of them stop at the same step.
    """

    def __init__(self, elapsed: float, limit: float, world: int = 1, device: torch.device | None = None) -> None:
        self.start = time.time() - elapsed
        self.deadline = time.monotonic() + limit if limit else math.inf
        self.world, self.device = world, device

    def seconds(self) -> float:
        """Wall seconds the run has trained, its earlier processes included."""
        return time.time() - self.start

    def last(self, done: int, steps: int, check_every: int) -> bool:
        """Whether step `done` ends this process: the run's final step, or a check after the limit is spent."""
        return done == steps or (done % check_every == 0 and self.out_of_time())

    def out_of_time(self) -> bool:
        spent = time.monotonic() >= self.deadline
        if self.world == 1:
            return spent
        flag = torch.tensor([float(spent)], device=self.device)
        dist.broadcast(flag, 0)
        return bool(flag.item())


class CsvLog:
    """log.csv: the losses every `every` steps and at the last, then the learning rate and the steps per second.

    A resumed run drops the rows its predecessor logged after its last save, since it trains those steps again.
    """

    def __init__(self, path: Path, header: list[str], start: int, every: int) -> None:
        if start and path.exists():
            rows = path.read_text().splitlines(keepends=True)
            path.write_text("".join(r for r in rows if not r[0].isdigit() or int(r.split(",")[0]) <= start))
        self.file = open(path, "a", newline="")  # noqa: SIM115
        self.writer = csv.writer(self.file)
        if start == 0:
            self.writer.writerow(header)
        self.every, self.tick = every, time.time()

    def write(self, done: int, losses: Sequence[float], lr: float, extra: Sequence[object] = ()) -> None:
        rate = self.every / max(time.time() - self.tick, 1e-9)
        self.tick = time.time()
        self.writer.writerow([done, *(f"{v:.6g}" for v in losses), *extra, f"{lr:.3g}", f"{rate:.3f}"])
        self.file.flush()

    def close(self) -> None:
        self.file.close()


def to_unit(images: torch.Tensor, device: torch.device) -> torch.Tensor:
    """A uint8 batch as float in [0, 1] on `device`, channels_last."""
    return images.to(device, memory_format=torch.channels_last).float() / 255.0


def save_samples(out: Path, done: int, rows: Sequence[torch.Tensor]) -> None:
    """samples/step_NNNNNN.png: the first four images of each batch in `rows`, a row each."""
    from torchvision.utils import save_image  # lazy: keeps `vst --help` and every other command fast

    grid = torch.cat([images[:4].detach().float().clamp(0, 1) for images in rows])
    save_image(grid, out / "samples" / f"step_{done:06d}.png", nrow=4)
