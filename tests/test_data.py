"""Training data: a reproducible stream of crops from disk, video frames through a cache, the held-out split."""

from __future__ import annotations

import shutil
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from vst.core.video import VideoWriter
from vst.training.data import FRAME_LONG_SIDE, Augment, CropStream, DataError, Zip, batches, find_files, image_files
from vst.training.pack import PACKED_PHOTOS, pack
from vst.training.split import VALIDATION_SIZE, make_split, source_of, validation_styles

SHARED_STYLES = Path(__file__).resolve().parents[2] / "shared" / "data" / "train" / "styles"


@pytest.fixture(scope="module")
def images(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    root = tmp_path_factory.mktemp("images")
    rng = np.random.default_rng(0)
    paths = []
    for i, (h, w) in enumerate([(40, 64), (64, 40), (96, 96)]):
        paths.append(root / f"{i}.jpg")
        Image.fromarray(rng.integers(0, 256, (h, w, 3), dtype=np.uint8)).save(paths[-1])
    return paths


def test_a_step_is_the_same_batch_with_any_worker_count(images):
    stream = CropStream(images, batch_size=3, size=32, seed=7)
    inline = [b for b in batches(stream, 5, 9, workers=0)]
    parallel = [b for b in batches(stream, 5, 9, workers=2)]
    assert len(inline) == 4 and inline[0].shape == (3, 3, 32, 32) and inline[0].dtype == torch.uint8
    for a, b in zip(inline, parallel):
        assert torch.equal(a, b)
    assert torch.equal(stream[6], inline[1])  # resuming at step 6 reads what the straight run read
    assert not torch.equal(stream[5], stream[6])
    other_rank = CropStream(images, batch_size=3, size=32, seed=7, rank=1)
    assert not torch.equal(other_rank[5], stream[5])


def test_zip_reads_several_streams_per_step(images):
    content, style = CropStream(images, 2, 16, seed=0), CropStream(images, 2, 24, seed=1)
    c, s = Zip(content, style)[3]
    assert torch.equal(c, content[3]) and torch.equal(s, style[3])


def test_crop_scale_sets_how_much_of_the_image_a_crop_covers(tmp_path):
    # Left half black, right half white: a crop of the whole image is half white, a close-up is one colour.
    path = tmp_path / "halves.png"
    img = np.zeros((64, 128, 3), np.uint8)
    img[:, 64:] = 255
    Image.fromarray(img).save(path)
    whole = CropStream([path], 16, 64, seed=0, augment=Augment(scale=(1.0, 1.0)))[0].float() / 255
    close = CropStream([path], 16, 8, seed=0, augment=Augment(scale=(8.0, 8.0)))[0].float() / 255
    assert 0.2 < whole.mean() < 0.8
    per_crop = close.mean(dim=(1, 2, 3))
    assert ((per_crop < 0.05) | (per_crop > 0.95)).float().mean() > 0.8
    with pytest.raises(DataError, match="at least 1"):
        CropStream([path], 1, 8, seed=0, augment=Augment(scale=(0.5, 1.0)))


def test_colour_augmentation_changes_hue_and_greys(images):
    plain = CropStream(images, 8, 32, seed=3)[0].float()
    grey = CropStream(images, 8, 32, seed=3, augment=Augment(grayscale=1.0))[0].float()
    assert torch.allclose(grey[:, 0], grey[:, 1], atol=1) and torch.allclose(grey[:, 1], grey[:, 2], atol=1)
    hued = CropStream(images, 8, 32, seed=3, augment=Augment(hue=0.5))[0].float()
    assert (hued - plain).abs().mean() > 5
    assert torch.allclose(hued.mean(), plain.mean(), atol=20)  # a rotation of hue, not of brightness


def test_an_unreadable_image_names_the_file(tmp_path):
    bad = tmp_path / "bad.jpg"
    bad.write_bytes(b"not a jpeg")
    with pytest.raises(DataError, match=r"bad\.jpg"):
        CropStream([bad], 1, 8, seed=0)[0]


def test_video_frames_are_extracted_once_into_the_cache(tmp_path, images):
    video = tmp_path / "clip.mp4"
    with VideoWriter(video, 10, 64, 48) as writer:
        for i in range(12):
            writer.write(np.full((48, 64, 3), 20 * i, np.uint8))
    folder = tmp_path / "data"
    folder.mkdir()
    shutil.copy(images[0], folder / "a.jpg")
    shutil.copy(video, folder / "clip.mp4")
    files = image_files([folder], tmp_path / "cache", frames_per_video=4)
    frames = [f for f in files if f.parent != folder]
    assert len(files) == 5 and len(frames) == 4
    brightness = [np.asarray(Image.open(f)).mean() for f in frames]
    assert brightness == sorted(brightness) and brightness[-1] - brightness[0] > 100  # spread through the clip
    stamp = frames[0].stat().st_mtime_ns
    assert image_files([folder], tmp_path / "cache", frames_per_video=4) == files
    assert frames[0].stat().st_mtime_ns == stamp  # read from the cache, not decoded again


def test_find_files_leaves_out_excluded_names(images):
    folder = images[0].parent
    assert [p.name for p in find_files([folder], exclude={"1.jpg"})] == ["0.jpg", "2.jpg"]
    with pytest.raises(DataError, match="no images"):
        find_files([folder], exclude={"0.jpg", "1.jpg", "2.jpg"})


def test_the_split_is_seeded_and_spread_across_sources():
    names = [f"big__{i}.jpg" for i in range(200)] + [f"mid__{i}.jpg" for i in range(50)] + ["solo__0.jpg"]
    split = make_split(names, size=25, seed=1)
    assert split == make_split(list(reversed(names)), size=25, seed=1)
    assert split != make_split(names, size=25, seed=2)
    assert Counter(map(source_of, split)) == {"big": 20, "mid": 5}


def test_the_committed_validation_styles():
    held_out = validation_styles()
    assert len(held_out) == len(set(held_out)) == VALIDATION_SIZE >= 40
    assert len(Counter(map(source_of, held_out))) >= 4
    if not SHARED_STYLES.is_dir():
        pytest.skip("the training styles are not beside this checkout")
    assert make_split(sorted(p.name for p in SHARED_STYLES.iterdir() if p.is_file())) == held_out


@pytest.fixture(scope="module")
def training_tree(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    """Photos of two sources (one larger than a packed image may be), a clip, and paintings."""
    from conftest import write_video

    root = tmp_path_factory.mktemp("train")
    rng = np.random.default_rng(0)
    names = {"content": [f"a__{i}" for i in range(6)] + ["b__0", "b__1"], "styles": ["p__0", "p__1"]}
    for folder, files in names.items():
        (root / folder).mkdir()
        for name in files:
            Image.fromarray(rng.integers(0, 256, (600, 700, 3), dtype=np.uint8)).save(root / folder / f"{name}.jpg")
    return root / "content", write_video(root / "clip.mp4", frames=12, audio=None), root / "styles"


def test_pack_draws_a_seeded_subset_and_traces_every_file(training_tree, tmp_path):
    content, clip, styles = training_tree
    out = tmp_path / "packed"
    size = pack([str(content), str(clip)], [str(styles)], [], out, photos=4, frames_per_video=3, seed=5)
    photos = sorted(p.name for p in (out / "content").glob("[ab]__*.webp"))
    assert len(photos) == 4 and {n[0] for n in photos} == {"a", "b"}  # spread across both sources
    assert sorted((out / "content").glob("clip_*.webp")) and len(list((out / "content").glob("clip_*"))) == 3
    assert max(Image.open(out / "styles" / "p__0.jpg").size) == FRAME_LONG_SIDE
    sources = dict(line.split(",", 1) for line in (out / "SOURCES.csv").read_text().split()[1:])
    packed = {p.relative_to(out).as_posix() for p in out.rglob("*.*") if p.name != "SOURCES.csv"}
    assert set(sources) == packed and sources["content/clip_00002.webp"] == f"{clip}#frame2"
    assert size == sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    again = tmp_path / "again"
    pack([str(content)], [str(styles)], [], again, photos=4, frames_per_video=3, seed=5)
    assert sorted(p.name for p in (again / "content").iterdir()) == photos  # the same seed, the same photos


def test_pack_refuses_over_budget_and_leaves_nothing(training_tree, tmp_path):
    content, _, styles = training_tree
    with pytest.raises(DataError, match=r"over the 0\.01 MiB budget"):
        pack([str(content)], [str(styles)], [], tmp_path / "packed", 8, 3, 0, budget_mib=0.01)
    assert list(tmp_path.iterdir()) == []  # no folder under the final name, no staging left behind
    with pytest.raises(DataError, match="listed photos are not under"):  # the committed list names the real set
        pack([str(content)], [str(styles)], [], tmp_path / "packed", None, 3, 0)
    assert len(PACKED_PHOTOS.read_text().split()) == 520
