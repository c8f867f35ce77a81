"""Optical flow: Middlebury `.flo` files, backward warping, OpenCV estimation and occlusion masks.

Conventions, the same everywhere in vst: frames are [H, W, C] arrays; a flow
`w` from frame A to frame B is a float32 [H, W, 2] array of (dx, dy) in pixels,
defined on A's pixel grid, so that A(p) ~ B(p + w(p)) (MPI-Sintel's
`flow/frame_N.flo` is the flow from frame N to N+1). Warping B with `w`
therefore brings B onto A's grid; a mask `valid` on A's grid says where that
is trustworthy (not occluded, not at a motion boundary, inside the frame).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

import numpy as np
import torch
import torch.nn.functional as F

from .errors import VstError, missing_extra, require_file

try:
    import cv2
except ImportError as e:
    raise missing_extra(e, "optical flow", "metrics") from None

FlowMethod = Literal["dis", "farneback"]


class FlowError(VstError):
    """A flow file that cannot be read, or flow that does not fit its frames."""


FLO_MAGIC = b"PIEH"  # 202021.25 as a little-endian float32: the Middlebury header


def read_flo(path: str | os.PathLike) -> np.ndarray:
    """Read a Middlebury `.flo` file as float32 [H, W, 2].

    Validity is decided here, not left to a reader's return convention (OpenCV 5.0 returns None for a
    0x0 header, 5.1 an empty array): the magic number, a positive size, and a body of exactly that size.
    """
    path = Path(path)
    require_file(path, FlowError, "flow file")
    with open(path, "rb") as f:
        header = f.read(12)
        if len(header) < 12 or header[:4] != FLO_MAGIC:
            raise FlowError(f"{path} is not a readable .flo file: no 202021.25 magic number in its header")
        width, height = (int(v) for v in np.frombuffer(header[4:], "<i4"))
        needed, present = width * height * 8, path.stat().st_size - 12
        if width <= 0 or height <= 0 or needed != present:
            raise FlowError(
                f"{path} is not a readable .flo file: its header says {width}x{height} ({max(needed, 0)} bytes "
                f"of flow), and {present} bytes follow it"
            )
        body = f.read(needed)
    return np.frombuffer(body, "<f4").reshape(height, width, 2).copy()


def write_flo(path: str | os.PathLike, flow: np.ndarray) -> None:
    """Write a flow field [H, W, 2] as a Middlebury `.flo` file (the inverse of `read_flo`)."""
    if flow.ndim != 3 or flow.shape[2] != 2:
        raise FlowError(f"a flow field has shape [H, W, 2], got {list(flow.shape)}")
    if not cv2.writeOpticalFlow(str(path), np.ascontiguousarray(flow, np.float32)):
        raise FlowError(f"cannot write flow file {path}")


def _sample_grid(flow: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    h, w = flow.shape[:2]
    xs, ys = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
    return xs + flow[..., 0], ys + flow[..., 1]


_INTERPOLATION = {"linear": cv2.INTER_LINEAR, "cubic": cv2.INTER_CUBIC, "lanczos": cv2.INTER_LANCZOS4}


def warp(image: np.ndarray, flow: np.ndarray, interpolation: str = "linear") -> np.ndarray:
    """Backward-warp `image` (frame B, [H, W] or [H, W, C]) onto frame A's grid with the flow A->B.

    Bilinear by default (what the metrics use); "cubic" or "lanczos" keep fine texture sharp when an
    image is warped again and again (bilinear blurs a little at every sub-pixel shift). Samples that fall
    outside B repeat its border (`inside` tells which). Returns float32.
    """
    if image.shape[:2] != flow.shape[:2]:
        raise FlowError(f"flow is {flow.shape[1]}x{flow.shape[0]} but the image is {image.shape[1]}x{image.shape[0]}")
    map_x, map_y = _sample_grid(flow)
    src = image.astype(np.float32)
    if src.ndim == 3 and src.shape[2] > 4:  # cv2.remap handles at most 4 channels
        return np.stack([warp(src[..., c], flow, interpolation) for c in range(src.shape[2])], axis=-1)
    out = cv2.remap(src, map_x, map_y, _INTERPOLATION[interpolation], borderMode=cv2.BORDER_REPLICATE)
    return out.reshape(src.shape)


def warp_batch(images: torch.Tensor, flow: torch.Tensor) -> torch.Tensor:
    """`warp` for a batch of tensors, differentiable: images [N, C, H, W] of frames B brought onto frames A's grids
    with flows A->B [N, 2, H, W] ((dx, dy) in pixels), bilinear, the border repeated. Training's temporal term
    pulls a network's output for A towards its output for B warped this way."""
    h, w = images.shape[-2:]
    ys, xs = torch.meshgrid(
        torch.arange(h, dtype=flow.dtype, device=flow.device),
        torch.arange(w, dtype=flow.dtype, device=flow.device),
        indexing="ij",
    )
    x = (xs + flow[:, 0]) * (2 / max(w - 1, 1)) - 1  # grid_sample's [-1, 1], pixel centres at the ends
    y = (ys + flow[:, 1]) * (2 / max(h - 1, 1)) - 1
    grid = torch.stack([x, y], dim=-1).to(images.dtype)
    return F.grid_sample(images, grid, mode="bilinear", padding_mode="border", align_corners=True)


def inside(flow: np.ndarray) -> np.ndarray:
    """True where p + w(p) lands inside the frame (a sample there is interpolated, not invented)."""
    h, w = flow.shape[:2]
    map_x, map_y = _sample_grid(flow)
    return (map_x >= 0) & (map_x <= w - 1) & (map_y >= 0) & (map_y <= h - 1)


def _gray(frame: np.ndarray) -> np.ndarray:
    if frame.ndim == 2:
        return np.ascontiguousarray(frame, np.uint8)
    return cv2.cvtColor(np.ascontiguousarray(frame, np.uint8), cv2.COLOR_RGB2GRAY)


def estimate_flow(frame_a: np.ndarray, frame_b: np.ndarray, method: FlowMethod = "dis") -> np.ndarray:
    """Dense flow from frame A to frame B (uint8 RGB [H, W, 3]), on A's grid.

    DIS (Kroeger et al. 2016, OpenCV's MEDIUM preset) is the default: fast on a
    CPU and accurate enough for masks that the consistency check then prunes;
    Farneback is the classic alternative.
    """
    if frame_a.shape != frame_b.shape:
        raise FlowError(f"frames differ in size: {frame_a.shape} and {frame_b.shape}")
    a, b = _gray(frame_a), _gray(frame_b)
    if method == "dis":
        dis = cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_MEDIUM)
        flow = dis.calc(a, b, None)
    elif method == "farneback":
        flow = cv2.calcOpticalFlowFarneback(a, b, None, 0.5, 4, 15, 3, 5, 1.2, 0)
    else:
        raise ValueError(f"unknown flow method {method!r}; choose dis or farneback")
    return flow.astype(np.float32)


def consistency_mask(flow: np.ndarray, reverse: np.ndarray) -> np.ndarray:
    """Where the flow A->B can be trusted, on A's grid (Sundaram et al. 2010, as used by Ruder et al. 2016).

    `reverse` is the flow B->A. A pixel is rejected when
    - forward-backward inconsistent: |w + w^|^2 > 0.01 (|w|^2 + |w^|^2) + 0.5, with w^ = reverse sampled at p + w(p)
      (the pixel is occluded in B, or one of the flows is wrong there);
    - on a motion boundary: |grad u|^2 + |grad v|^2 > 0.01 |w|^2 + 0.002;
    - or its target p + w(p) is outside B.
    """
    if flow.shape != reverse.shape:
        raise FlowError(f"forward and reverse flow differ in size: {flow.shape} and {reverse.shape}")
    back = warp(reverse, flow)
    w2 = (flow**2).sum(-1)
    consistent = ((flow + back) ** 2).sum(-1) <= 0.01 * (w2 + (back**2).sum(-1)) + 0.5
    du_y, du_x = np.gradient(flow[..., 0])
    dv_y, dv_x = np.gradient(flow[..., 1])
    smooth = du_x**2 + du_y**2 + dv_x**2 + dv_y**2 <= 0.01 * w2 + 0.002
    return consistent & smooth & inside(flow)


def flow_and_mask(
    frame_a: np.ndarray, frame_b: np.ndarray, method: FlowMethod = "dis"
) -> tuple[np.ndarray, np.ndarray]:
    """Estimated flow A->B and its validity mask on A's grid: both directions, then `consistency_mask`."""
    forward = estimate_flow(frame_a, frame_b, method)
    return forward, consistency_mask(forward, estimate_flow(frame_b, frame_a, method))


def resize_flow(flow: np.ndarray, width: int, height: int) -> np.ndarray:
    """Resample a flow field to another frame size, scaling the vectors with it."""
    h, w = flow.shape[:2]
    out = cv2.resize(flow, (width, height), interpolation=cv2.INTER_LINEAR)
    return out * np.array([width / w, height / h], np.float32)


def resize_mask(mask: np.ndarray, width: int, height: int) -> np.ndarray:
    """Resample a validity mask conservatively: a pixel stays valid only if everything it covers was valid."""
    area = cv2.resize(mask.astype(np.float32), (width, height), interpolation=cv2.INTER_AREA)
    return area >= 1.0 - 1e-6
