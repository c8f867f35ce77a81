"""Reading and writing still images: any Pillow mode in, RGB float out; atomic writes.

Sizes follow the AdaIN reference (`torchvision.transforms.Resize(short_side)` on a
Pillow image: bilinear, long side truncated), so that `--style-size 512` feeds the
network exactly what the reference feeds it. Images over `MAX_PIXELS` are
downscaled to fit, with a notice; files over `MAX_INPUT_PIXELS` are refused before
they are decoded.
"""

from __future__ import annotations

import logging
import math
import os
import warnings
from pathlib import Path

import numpy as np
import torch
from PIL import Image, ImageOps, UnidentifiedImageError

from .errors import VstError, make_parent, require_file
from .files import atomic_write
from .media import SAVE_FORMATS, require_kind

logger = logging.getLogger(__name__)

# What one pass of the network handles comfortably (4K UHD): larger inputs are downscaled to fit.
MAX_PIXELS = 3840 * 2160
# Decoding alone would take gigabytes beyond this; such files are refused, not downscaled.
MAX_INPUT_PIXELS = 8192 * 8192

_HIGH_BIT_DEPTH = ("I;16", "I;16B", "I;16L", "I;16N", "I", "F")


class ImageError(VstError):
    """An image that cannot be found, read or written."""


def fit_size(
    width: int,
    height: int,
    short_side: int | None = None,
    *,
    even: bool = False,
    upscale: bool = True,
    name: str = "the input",
) -> tuple[int, int]:
    """The size to process an input at: short side resized as torchvision's Resize does, then fit under MAX_PIXELS.

    The one home of the size rules, for images, clips and camera frames alike. `upscale=False` never
    enlarges (the app: it would cost time and add nothing); `even` rounds down to even dimensions (what
    yuv420p video needs). Downscaling to fit is logged, because the user asked for something else.
    """
    w, h = width, height
    if short_side:
        short, long = min(w, h), max(w, h)
        if not upscale:
            short_side = min(short_side, short)
        if short != short_side:
            new_long = int(short_side * long / short)
            w, h = (short_side, new_long) if w <= h else (new_long, short_side)
    if w * h > MAX_PIXELS:
        scale = math.sqrt(MAX_PIXELS / (w * h))
        fitted = max(1, int(w * scale)), max(1, int(h * scale))
        logger.warning(
            "%s: %dx%d is over the %d-megapixel limit; downscaled to %dx%d (use --size to choose)",
            name,
            w,
            h,
            round(MAX_PIXELS / 1e6),
            *fitted,
        )
        w, h = fitted
    if even:
        w, h = max(2, w - w % 2), max(2, h - h % 2)
    return w, h


def _open(path: Path) -> Image.Image:
    require_file(path, ImageError, "image")
    require_kind(path, "image", ImageError)
    try:
        with warnings.catch_warnings():
            # The pixel limit is ours (MAX_INPUT_PIXELS), checked below with a clearer message.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image = Image.open(path)
    except Image.DecompressionBombError:
        raise ImageError(f"refusing {path}: its size is over the {MAX_INPUT_PIXELS // 2**20}-megapixel limit") from None
    except UnidentifiedImageError:
        raise ImageError(f"{path} is not an image that Pillow can read") from None
    except OSError as e:
        raise ImageError(f"cannot read {path}: {e}") from None
    w, h = image.size
    if w * h > MAX_INPUT_PIXELS:
        image.close()
        raise ImageError(
            f"refusing {path}: {w}x{h} is {w * h / 1e6:.0f} megapixels, over the "
            f"{MAX_INPUT_PIXELS / 1e6:.0f}-megapixel limit; downscale it first"
        )
    return image


def _gray_float(image: Image.Image) -> Image.Image:
    """High-bit-depth grayscale as a Pillow "F" image in [0, 1]; Pillow's own RGB conversion would clip it."""
    a = np.asarray(image, dtype=np.float32)
    if image.mode.startswith("I;16") or (image.mode == "I" and a.max(initial=0) > 255):
        a = a / 65535.0
    elif image.mode == "I" or a.max(initial=0) > 1.0:
        a = a / 255.0
    return Image.fromarray(np.clip(a, 0.0, 1.0))


def _rgb(image: Image.Image) -> Image.Image:
    """Any other mode as 8-bit RGB; transparency is flattened onto white, as a viewer shows it."""
    if image.mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in image.info:
        rgba = image.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(white, rgba).convert("RGB")
    return image if image.mode == "RGB" else image.convert("RGB")


def load_image(path: str | os.PathLike, short_side: int | None = None, upscale: bool = True) -> torch.Tensor:
    """An image file as float RGB [1, 3, H, W] in [0, 1], short side resized to `short_side` (None or 0 keeps it;
    `upscale=False` never enlarges)."""
    path = Path(path)
    with _open(path) as image:
        try:
            image.load()
            ImageOps.exif_transpose(image, in_place=True)
        except (OSError, SyntaxError, ValueError) as e:
            raise ImageError(f"{path} is damaged or truncated: {e}") from None
        size = fit_size(*image.size, short_side, upscale=upscale, name=str(path))
        if image.mode in _HIGH_BIT_DEPTH:
            gray = _gray_float(image)
            if gray.size != size:
                gray = gray.resize(size, Image.Resampling.BILINEAR)
            return torch.from_numpy(np.asarray(gray, dtype=np.float32).copy()).expand(1, 3, -1, -1).contiguous()
        rgb = _rgb(image)
        if rgb.size != size:
            rgb = rgb.resize(size, Image.Resampling.BILINEAR)
        return to_tensor(np.asarray(rgb))


def resize_frame(frame: np.ndarray, short_side: int | None, upscale: bool = True) -> np.ndarray:
    """An RGB uint8 frame (RGBA from some browsers too) resized by `fit_size`'s rules, as `load_image` resizes."""
    frame = np.ascontiguousarray(frame[..., :3])
    size = fit_size(frame.shape[1], frame.shape[0], short_side, upscale=upscale)
    if size == (frame.shape[1], frame.shape[0]):
        return frame
    return np.asarray(Image.fromarray(frame).resize(size, Image.Resampling.BILINEAR))


def to_tensor(frame: np.ndarray) -> torch.Tensor:
    """uint8 [H, W, 3] to float [1, 3, H, W] in [0, 1], as torchvision's ToTensor."""
    return torch.tensor(frame).permute(2, 0, 1)[None].float().div_(255.0)


def to_uint8(image: torch.Tensor | np.ndarray) -> np.ndarray:
    """Float [1, 3, H, W] or [3, H, W] in [0, 1] (or a uint8 [H, W, 3] array) as uint8 [H, W, 3].

    Rounds as torchvision's save_image does, so saved files match the reference's.
    """
    if isinstance(image, np.ndarray):
        if image.dtype != np.uint8 or image.ndim != 3 or image.shape[2] != 3:
            raise ValueError(f"expected a uint8 [H, W, 3] array, got {image.dtype} {image.shape}")
        return image
    t = image.detach().to("cpu")
    t = t[0] if t.ndim == 4 else t
    if t.dtype != torch.uint8:
        t = t.float().mul(255.0).add_(0.5).clamp_(0.0, 255.0).to(torch.uint8)
    return t.permute(1, 2, 0).contiguous().numpy()


def save_image(image: torch.Tensor | np.ndarray, path: str | os.PathLike, quality: int = 95) -> Path:
    """Write an image as PNG, JPEG, WebP, BMP or TIFF (by suffix), never leaving a partial file under `path`."""
    path = Path(path)
    fmt = SAVE_FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise ImageError(f"cannot write {path.name}: use one of {', '.join(sorted(SAVE_FORMATS))}")
    pil = Image.fromarray(to_uint8(image))
    make_parent(path, ImageError)
    try:
        with atomic_write(path) as tmp:
            pil.save(tmp, format=fmt, **({"quality": quality} if fmt in ("JPEG", "WEBP") else {}))
    except OSError as e:
        raise ImageError(f"cannot write {path}: {e}") from None
    return path
