"""Model cards (README.md with Hub metadata) that say what data and budget a checkpoint had, from its config."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from huggingface_hub import EvalResult, ModelCard, ModelCardData

from vst.core.checkpoint import FULL, architecture_of
from vst.core.files import atomic_write
from vst.core.noise import DEFAULT_AMOUNT

CARD_TAGS = ("style-transfer", "video-style-transfer", "adain", "pytorch")
_DESCRIPTIONS = {
    "baseline": "AdaIN decoder trained with the objective of Huang & Belongie 2017 (content + style loss).",
    "noise-resilient": "AdaIN decoder trained with the AdaIN objective plus the noise-resilience loss "
    "of Bao & Swarnakar, which makes the stylization of a frame and of the same frame with "
    "small random noise agree and so suppresses flicker between video frames.",
}


# What a metric was measured on, by the prefix `training.export.flatten` gives it.
EVAL_SETS = {
    "unseen": ("vst-unseen-styles", "held-out paintings (training/splits/validation-styles.txt) x unseen photos"),
    "trained": ("vst-trained-styles", "trained paintings x unseen photos"),
}
OTHER_SET = ("vst-eval", "evaluation styles x photos (../shared/data)")


def card_data(config: dict[str, Any]) -> ModelCardData:
    """The Hub metadata: licence, tags and a model-index with the measured metrics."""
    results = []
    for metric, value in (config.get("metrics") or {}).items():
        dataset_type, dataset_name = EVAL_SETS.get(metric.split("_", 1)[0], OTHER_SET)
        results.append(EvalResult("image-to-image", dataset_type, dataset_name, metric_type=metric, metric_value=value))
    return ModelCardData(
        license="mit",
        library_name="vst",
        pipeline_tag="image-to-image",
        tags=[*CARD_TAGS, config["recipe"], *(["lite"] if _is_lite(config) else [])],
        model_name=config.get("name", config["recipe"]),
        base_model=config.get("base_model"),
        eval_results=results or None,
    )


def _init_line(init: dict[str, Any] | None, history: list[dict[str, Any]]) -> str:
    if not init:
        return f"the weights of the runs listed below, at step {history[-1]['steps']}" if history else "random weights"
    return f"a `{init['recipe']}` checkpoint trained for {init['steps']} steps on the same data (`{init['from']}`)"


def _is_lite(config: dict[str, Any]) -> bool:
    return config.get("architecture") != FULL.name


def _networks(config: dict[str, Any]) -> str:
    """What the encoder is: frozen VGG-19, or the lite student trained with the decoder against VGG-19."""
    encoder = f"`{config['encoder']['name']}`, sha256 `{config['encoder']['sha256'][:16]}…`"
    if not _is_lite(config):
        return f"The encoder is a frozen VGG-19 cut at relu4_1\n({encoder})"
    if "distilled_from" in config:
        teacher = config["distilled_from"]
        return (
            f"The encoder is a student of VGG-19's layout up to relu4_1 (`{config['architecture']}`, {encoder}), "
            f"trained together with the decoder to reproduce the outputs of the full `{teacher['teacher_recipe']}` "
            f"network (`{teacher['teacher']}`, {teacher['teacher_steps']} steps) (`training.distill`: pixels, image "
            f"differences and VGG-19 features on a sub-crop, so that it trains on a CPU){_own_objective(config)}"
            + _grid(config)
            + _style_path(config)
        )
    teacher = config["teacher"]
    t = config.get("training", {})
    return (
        "The encoder is the lite student: VGG-19's layout up to relu4_1 with a quarter of its channels and half "
        f"its conv3 depth ({encoder}), trained together with the decoder, with VGG-19 as the teacher "
        f"(`{teacher['name']}`, sha256 `{teacher['sha256'][:16]}…`): the losses are computed on VGG-19's features, "
        f"and the student's taps are distilled onto VGG's through 1x1 embeddings (weight {t.get('distill_weight')})."
        " It costs about 1/20 of the full network's FLOPs" + _style_path(config)
    )


def _grid(config: dict[str, Any]) -> str:
    """A student whose pools do not alias, or whose decoder upsamples bilinearly, says so: it is why its strokes
    move with the scene."""
    architecture = architecture_of(config)
    parts = []
    if architecture.antialias:
        parts.append(
            "its pools blur before they subsample (max over 2x2 at stride 1, then a [1, 2, 1] binomial blur at"
            " stride 2; Zhang, 2019)"
        )
    if architecture.upsample == "bilinear":
        parts.append("its decoder upsamples bilinearly")
    if not parts:
        return ""
    text = " and ".join(parts)
    return (
        f". {text[0].upper()}{text[1:]}, so that its strokes move with the scene instead of jumping with the 8 px grid"
    )


def _own_objective(config: dict[str, Any]) -> str:
    """A distilled student that also learned from the teacher's own loss says so, with the weight."""
    t = config["training"]
    if not t.get("adain_weight"):
        return ""
    return (
        ", and with the loss the teacher learned from as well, AdaIN's content and style losses against the style "
        f"crop (weight {t['adain_weight']:g}, style weight {t['adain_style_weight']:g})"
    )


def _style_path(config: dict[str, Any]) -> str:
    if not architecture_of(config).style_through_vgg:
        return ""
    vgg = config["style_encoder"]
    return (
        ". It reads the style image through the full VGG-19 instead, once per style "
        f"(`{vgg['name']}`, sha256 `{vgg['sha256'][:16]}…`): the channel means and log-stds of relu1_1-relu4_1 go "
        "through a linear map trained with the student (`style_map.safetensors`) to the student's AdaIN target, so "
        "that it tells paintings it never saw apart, while frames go through the student alone"
    )


def _description(config: dict[str, Any]) -> str:
    if "distilled_from" in config:
        text = "A lite student distilled from the full network, for real time on a CPU."
        noise = config.get("noise")
        motion_only = bool(noise) and not noise["amount"]
        if motion_only:
            text += (
                f" It is also taught to stylize a frame and the same frame moved by up to {noise['shift']} px"
                " alike (the noise-resilience loss of Bao & Swarnakar with motion for its noise), so that its strokes"
                " move with the scene instead of sticking to the pixel grid, which suppresses flicker between video"
                " frames."
            )
        elif noise:
            text += (
                " It is also taught to stylize a frame and the same frame plus small noise alike (the"
                " noise-resilience loss of Bao & Swarnakar), which suppresses flicker between video frames."
            )
        if config.get("temporal"):
            text += (
                " It is also taught to keep its strokes on what they paint from one frame of a real clip to the"
                " next: its output for a frame against its output for the next frame, warped back along the optical"
                " flow."
            )
        return text + ("" if motion_only else _shift_text(config))  # a motion-only term said its shift already
    return _DESCRIPTIONS[config["recipe"]] + _shift_text(config)


def _shift_text(config: dict[str, Any]) -> str:
    """The noise term's translation (`--noise-shift`), where it had one."""
    shift = (config.get("noise") or {}).get("shift")
    if not shift:
        return ""
    return (
        f" The noisy frame is also translated by up to {shift} pixels and the loss asks for the same"
        " translation of the output, a stand-in for motion between frames."
    )


def _schedule(phases: list[list[int]], steps: int) -> str:
    """Crop sizes by phase, e.g. `128 px for steps 0-15000, 256 px for steps 15000-20000`."""
    ends = [first for first, _ in phases[1:]] + [steps]
    return ", ".join(f"{size} px for steps {first}-{end}" for (first, size), end in zip(phases, ends))


def _images(paths: list[str], count: int | None) -> str:
    return (f"{count} images from " if count is not None else "") + ", ".join(f"`{p}`" for p in paths)


def _history(config: dict[str, Any]) -> str:
    """The earlier runs that made the starting weights, oldest first (`training.train.phase`)."""
    lines = [
        f"{i}. `{p['recipe']}`: {_schedule(p['schedule'], p['steps'])} at batch {p['batch_size']}, "
        f"{p['world_size']} process(es) on `{p['device']}`, {p['wall_seconds'] / 3600:.2f} h; "
        f"content: {_images(p['content'], p['content_images'])}; style: {_images(p['style'], p['style_images'])}"
        for i, p in enumerate(config.get("history") or [], 1)
    ]
    if not lines:
        return ""
    return "\n\nThe weights this run started from were made by these runs, oldest first:\n\n" + "\n".join(lines)


def _held_out(data: dict[str, Any], t: dict[str, Any]) -> str:
    if not data.get("held_out_styles"):
        return ""
    return f"; {data['held_out_styles']} more held out, never trained on (`{Path(t['exclude_styles']).name}`)"


def _augmentation(t: dict[str, Any]) -> str:
    """A VGG-objective run's style-crop augmentation (its `style_*` training fields) in words."""
    return _augment_text({k.removeprefix("style_"): v for k, v in t.items() if k.startswith("style_")})


def _augment_text(a: dict[str, Any]) -> str:
    """A crop augmentation (`training.data.Augment`'s fields, and `mix` where a trainer mixes styles)."""
    lo, hi = a.get("scale", (2.0, 2.0))
    parts = [f"short side {lo:g}-{hi:g}x the crop size before cropping"]
    named = {"hue": "hue rotation up to {:g} turn", "jitter": "colour jitter {:g}"}
    named |= {"grayscale": "grey with probability {:g}", "mix": "two styles mixed with probability {:g}"}
    parts += [text.format(a[key]) for key, text in named.items() if a.get(key)]
    return ", ".join(parts)


def _recipe_flags(config: dict[str, Any]) -> str:
    """The command-line flags that re-create this checkpoint's objective."""
    flags = [
        f"--noise-{key} {value:g}" if isinstance(value, float) else f"--noise-{key} {value}"
        for key, value in (config.get("noise") or {}).items()
        if key != "shift" or value
    ]
    style_weight = config.get("training", {}).get("style_weight")
    if style_weight is not None:  # always spelled out: no copy of the trainer's default here
        flags.append(f"--style-weight {style_weight:g}")
    return "".join(f" {flag}" for flag in flags)


def _phases(config: dict[str, Any]) -> str:
    """Earlier steps of a distillation run that used another objective (`training.distill.objective`)."""
    return "".join(
        f"; until step {p['until']}: features {', '.join(p['perceptual_taps'])}, means/stds x{p['stats_weight']:g}, "
        f"noise weight {p['noise_weight']:g}"
        + (f", temporal weight {p['temporal_weight']:g}" if p.get("temporal_weight") else "")
        for p in config.get("phases") or []
    )


def _sources(data: dict[str, Any]) -> str:
    """Where a teacher dataset's crops came from: distinct files per folder (`training.teacher_data.describe`)."""
    sources = data.get("sources")
    if not sources:
        return f" to {', '.join(f'`{p}`' for p in data['teacher_data'])}"
    content = ", ".join(f"{n} from `{folder}`" for folder, n in sources["content"].items())
    style = ", ".join(f"{n} from `{folder}`" for folder, n in sources["style"].items())
    augments = "; ".join(
        _crop_augment(kind, entry) for kind in ("content", "style") for entry in sources.get(f"{kind}_augment", [])
    )
    return f"; content crops of {content}; style crops of {style}" + (f"; {augments}" if augments else "")


def _crop_augment(kind: str, entry: dict[str, Any]) -> str:
    """One content- or style-crop augmentation of a teacher dataset, and the triples it made."""
    if entry["augment"] is None:
        return f"{entry['samples']} triples' {kind} crops with no augmentation on record"
    return f"{entry['samples']} triples' {kind} crops at {_augment_text(entry['augment'])}"


def _distilled_init(init: dict[str, Any] | None) -> str:
    if not init:
        return "random weights"
    widened = init.get("widened_from")
    how = ""
    if widened:  # widenings before 2026-12-08 copied old channels (and recorded their noise)
        channels = "fresh channels" if widened.get("new_channels") == "fresh" else "copies of old channels"
        how = f", widened from `{widened['from']}` ({widened['architecture']}) by `training.widen` with {channels}"
    return (
        f"the `{init['from']}` checkpoint{how} ({init['recipe']} objective, {init['steps']} steps; its runs are below)"
    )


def _noised(noise: dict[str, Any]) -> str:
    """The noise the term added to the crop, if any (`--noise-amount 0` leaves motion alone)."""
    return f" plus {noise['kind']} noise ({noise['amount']:g})" if noise["amount"] else ""


def _shifted(noise: dict[str, Any]) -> str:
    """How far the noisy crop was translated (`--noise-shift`), if at all."""
    return f", translated by up to {noise['shift']} px" if noise.get("shift") else ""


def _anchor(noise: dict[str, Any]) -> str:
    """What the noisy crop's output was pulled to, in words (runs before `--noise-anchor` used the teacher's)."""
    what = {
        "teacher": "teacher output",
        "student": "own output",
        "student-fixed": "own output, held fixed (no gradient through it)",
    }[noise.get("anchor", "teacher")]
    return f"{what}, translated the same way" if noise.get("shift") else what


def _noise_flags(noise: dict[str, Any] | None) -> str:
    """The noise term's flags for the retrain command: its weight, and each setting that is not the default."""
    if not noise:
        return ""
    flags = f" --noise-weight {noise['weight']:g}"
    if noise["kind"] != "gaussian":
        flags += f" --noise-kind {noise['kind']}"
    if noise["amount"] != DEFAULT_AMOUNT[noise["kind"]]:
        flags += f" --noise-amount {noise['amount']:g}"
    if noise.get("shift"):
        flags += f" --noise-shift {noise['shift']}"
    if "anchor" in noise:
        flags += f" --noise-anchor {noise['anchor']}"
    return flags


def _distilled_budget(config: dict[str, Any]) -> str:
    """The budget and data of a student trained on a teacher's outputs (`training.distill`)."""
    t, data, teacher = config["training"], config["data"], config["distilled_from"]
    noise = config.get("noise")
    resilience = (
        f"; noise resilience: the same loss for the crop{_noised(noise)}{_shifted(noise)}, against the clean crop's"
        f" {_anchor(noise)}, weight {noise['weight']:g}"
        if noise
        else ""
    )
    flag = f" --lr {t['lr']:g}" + _noise_flags(noise)
    if t.get("adain_weight"):
        flag += f" --adain-weight {t['adain_weight']:g} --adain-style-weight {t['adain_style_weight']:g}"
    scale = t.get("new_channel_lr_scale", 1)
    new_lr = f", {scale:g}x on the channels a widening added and their reads" if scale != 1 else ""
    if scale != 1:
        flag += f" --widened-from {t['widened_from']} --new-channel-lr-scale {scale:g}"
    temporal = config.get("temporal")
    pairs_command = ""
    if temporal:
        resilience += (
            f"; temporal: L1 between the output for a frame and the output for the next frame warped back along "
            f"the DIS optical flow where it is trusted and moves a pixel within {temporal['subpixel']:g} px of a "
            f"whole-pixel move (rounded to it), weight {temporal['weight']:g}, on {temporal['pairs']} pairs "
            f"of consecutive frames (`training.frame_pairs`) from {', '.join(f'`{v}`' for v in temporal['videos'])}"
        )
        flag += f" --temporal-weight {temporal['weight']:g} --temporal-data runs/frame-pairs"
        pairs_command = "python -m vst.training.frame_pairs --video CLIPS... -o runs/frame-pairs\n"
    return f"""## Training budget and data

- objective: L1 to the teacher's output on pixels, plus {t["grad_weight"]:g} x L1 on image differences, plus \
{t["perceptual_weight"]:g} x VGG-19 features ({", ".join(t.get("perceptual_taps", []))}) of output and teacher output \
on a {t["perceptual_crop"]} px sub-crop, L1 plus {t.get("stats_weight", 1):g} x their channel means and stds\
{resilience}{_phases(config)}
- steps: {config["steps"]} at batch {t["batch_size"]} (learning rate {t["lr"]:g}{new_lr}, cosine to \
{t["lr_floor"]:g}x), {t.get("world_size", 1)} process(es) on `{t.get("device")}`, \
{t.get("wall_seconds", 0) / 3600:.2f} h wall time
- initialised from: {_distilled_init(config.get("init"))}
- data: {data["samples"]} (content crop, style crop, teacher output) triples of {teacher["size"]} px, written by \
`training.teacher_data`{_sources(data)} (the held-out paintings excluded){_history(config)}

## Retrain

```
python -m vst.training.teacher_data --teacher {teacher["teacher"]} --content PHOTOS... --style STYLES... -o runs/teacher
{pairs_command}python -m vst.training.distill --data runs/teacher --steps {config["steps"]}{flag} \\
    --architecture {config["architecture"]} --init {t.get("init") or "none"} -o runs/student
```
"""


def _budget(config: dict[str, Any]) -> str:
    """The budget and data of a decoder (or lite student) trained with the VGG-19 objective (`training.train`)."""
    t = config.get("training", {})
    data = config.get("data", {})
    hours = t.get("wall_seconds", 0) / 3600
    return f"""## Training budget and data

- recipe: `{config["recipe"]}`{f", noise {json.dumps(config['noise'])}" if config.get("noise") else ""}
- steps: {config["steps"]} at batch {t.get("batch_size")} of random crops: \
{_schedule(t.get("schedule") or [[0, t.get("size")]], config["steps"])} \
(learning rate {t.get("lr")}, style weight {t.get("style_weight")}), {t.get("world_size", 1)} process(es) on \
`{t.get("device")}`, {hours:.2f} h wall time
- initialised from: {_init_line(config.get("init"), config.get("history") or [])}
- content: {_images(data.get("content", []), data.get("content_images"))}
- style: {_images(data.get("style", []), data.get("style_images"))}{_held_out(data, t)}
- style augmentation: {_augmentation(t)}{_history(config)}

The AdaIN paper trained on MS-COCO + WikiArt (80k + 80k images) for 160k steps at 256 px on a GPU;
this checkpoint's budget is the one above.

## Retrain at full scale on a GPU

```
vst train --recipe {config["recipe"]}{_recipe_flags(config)}{" --network lite" if _is_lite(config) else ""} \\
  --content COCO/train2014 SINTEL/training --style WIKIART/train \\
  --steps 160000 --batch-size 8 --size 256 -o runs/{config["recipe"]}
```
"""


METRICS_IN_WORDS = """\
- **style ratio** (lower is more painted): how far the output's VGG-19 feature statistics still are from the
  painting's, as a fraction of the unstylized photo's distance; 0 would be the painting's statistics exactly.
- **content distance** (lower keeps more of the photo): the output's relu4_1 features against the AdaIN target,
  relative; faces and edges survive when it is low.
- **a\\*b\\* mean distance / spread**: how close the output's colours are to the painting's (CIELAB).
- **noise** (Gaussian, impulse): how much the output changes when the input frame gets small noise; lower means
  less flicker in video.
- `unseen` are paintings held out of every training run, `trained` ones it learned from; photos are never trained
  on. Details: `benchmarks/quality.py`.
"""


SAMPLE_FILE = "sample.jpg"  # the card's sample image (a contact sheet), beside it: it travels with the card
SAMPLE_LINE = "![sample]({})"


def for_page(card: str) -> str:
    """A card as a web page shows it: without the Hub's metadata block (for machines) and without the sample
    image line (a file beside the card, which the page cannot reach)."""
    card = re.sub(r"\A---\n.*?\n---\n", "", card, flags=re.S)
    sample = re.escape(SAMPLE_LINE).replace(re.escape("{}"), r"[^)]*")
    return re.sub(rf"^{sample}\n", "", card, flags=re.M)


def _for_users(config: dict[str, Any]) -> str:
    """The lines a user choosing a variant reads first: what it is for, how fast it is, a sample."""
    lines = [f"**Use it for:** {config['use_for']}" if config.get("use_for") else ""]
    lines.append(f"**Speed on a 2-core CPU:** {config['speed']}" if config.get("speed") else "")
    lines.append(SAMPLE_LINE.format(config["sample"]) if config.get("sample") else "")
    return "\n\n".join(line for line in lines if line)


# The pages of vst's documentation site (docs/ in the vst repository; `mkdocs serve` shows them) that hold the
# experiment logs behind a checkpoint of each kind. A card travels to the Hub, so it names them by path.
_FULL_PAGES = (
    ("docs/training/index.md", "the recipes, the data and the training loop"),
    ("docs/training/embedded.md", "how the embedded checkpoints were trained, with the style augmentation A/B"),
    ("docs/results/noise-recipe.md", "how the noise-resilient recipe was chosen: the sweep, run by run"),
    ("docs/results/claims.md", "the poster's claims, measured"),
    ("docs/results/quality.md", "quality on paintings and photos never trained on"),
)
_LITE_PAGES = (
    ("docs/training/lite.md", "the lite network and how it is distilled on a CPU"),
    ("docs/results/lite.md", "its experiment log: quality, stability, portraits, wider students"),
    ("docs/results/speed.md", "speed, with the lite network against the full one"),
)


def _docs(config: dict[str, Any]) -> str:
    """Where the experiment logs behind this kind of checkpoint are."""
    pages = _LITE_PAGES if _is_lite(config) else _FULL_PAGES
    lines = "\n".join(f"- `{path}`: {what}" for path, what in pages)
    return f"""
## Experiment logs

The vst documentation (the pages under `docs/` in the vst repository; `mkdocs serve` shows them as a site) holds
the measurements and experiment logs behind this kind of checkpoint:

{lines}
"""


def write_model_card(directory: str | Path, config: dict[str, Any]) -> Path:
    """Write README.md for a checkpoint folder from its config."""
    body = f"""
# vst {config.get("name", config["recipe"])} decoder

{_for_users(config)}

{_description(config)} {_networks(config)}; any style image works without retraining.

{_distilled_budget(config) if "distilled_from" in config else _budget(config)}
## Use

```
vst stylize clip.mp4 --style painting.jpg --checkpoint THIS_FOLDER -o out.mp4
```
{_docs(config)}"""
    metrics = config.get("metrics")
    if metrics:
        body += "\n## Metrics\n\n" + METRICS_IN_WORDS + "\nMeasured:\n\n"
        body += "\n".join(f"- {k}: {v}" for k, v in metrics.items()) + "\n"
    path = Path(directory) / "README.md"
    with atomic_write(path) as tmp:  # a card cut short by a crash would be pushed, or shown by `vst zoo info`
        ModelCard(f"---\n{card_data(config).to_yaml()}\n---\n{body}").save(tmp)
    return path
