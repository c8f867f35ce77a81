"""Model cards (README.md with Hub metadata) that say what data and budget a checkpoint had."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

_DESCRIPTIONS = {
    "baseline": "AdaIN decoder trained with the objective of Huang & Belongie 2017 (content + style loss).",
    "noise-resilient": "AdaIN decoder trained with the AdaIN objective plus the noise-resilience loss "
    "of Bao & Swarnakar, which makes the stylization of a frame and of the same frame with "
    "small random noise agree and so suppresses flicker between video frames.",
}


def _front_matter(config: dict[str, Any]) -> str:
    metrics = config.get("metrics") or {}
    lines = [
        "---",
        "license: mit",
        "library_name: vst",
        "pipeline_tag: image-to-image",
        "tags:",
        *[f"- {t}" for t in ("style-transfer", "video-style-transfer", "adain", "pytorch", config["recipe"])],
    ]
    if metrics:
        lines += [
            "model-index:",
            f"- name: {config.get('name', config['recipe'])}",
            "  results:",
            "  - task:",
            "      type: image-to-image",
            "    metrics:",
        ]
        lines += [f"    - type: {k}\n      value: {v}" for k, v in metrics.items()]
    return "\n".join(lines + ["---", ""])


def _init_line(init: dict[str, Any] | None) -> str:
    if not init:
        return "random weights"
    return f"a `{init['recipe']}` checkpoint trained for {init['steps']} steps on the same data (`{init['from']}`)"


def _description(config: dict[str, Any]) -> str:
    text = _DESCRIPTIONS[config["recipe"]]
    shift = (config.get("noise") or {}).get("shift")
    if shift:
        text += (
            f" The noisy frame is also translated by up to {shift} pixels and the loss asks for the same"
            " translation of the output, a stand-in for motion between frames."
        )
    return text


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


def write_model_card(directory: str | Path, config: dict[str, Any]) -> Path:
    """Write README.md for a checkpoint folder from its config."""
    t = config.get("training", {})
    data = config.get("data", {})
    hours = t.get("wall_seconds", 0) / 3600
    body = f"""
# vst {config.get("name", config["recipe"])} decoder

{_description(config)} The encoder is a frozen VGG-19 cut at relu4_1
(`{config["encoder"]["name"]}`, sha256 `{config["encoder"]["sha256"][:16]}…`); any style image works without retraining.

## Training budget and data

- recipe: `{config["recipe"]}`{f", noise {json.dumps(config['noise'])}" if config.get("noise") else ""}
- steps: {config["steps"]} at batch {t.get("batch_size")} of {t.get("size")}x{t.get("size")} random crops \
(learning rate {t.get("lr")}, style weight {t.get("style_weight")}), {t.get("world_size", 1)} process(es) on \
`{t.get("device")}`, {hours:.2f} h wall time
- initialised from: {_init_line(config.get("init"))}
- content: {", ".join(f"`{c}`" for c in data.get("content", []))}
- style: {", ".join(f"`{s}`" for s in data.get("style", []))}

This is a small CPU budget on a small public-domain / CC BY data set, not the
full-scale training of the AdaIN paper (MS-COCO + WikiArt, 160k steps at 256 px on a GPU).
Expect muted colours and some texture artefacts compared with published AdaIN weights.

## Retrain at full scale on a GPU

```
vst train --recipe {config["recipe"]}{_recipe_flags(config)} \\
  --content COCO/train2014 SINTEL/training --style WIKIART/train \\
  --steps 160000 --batch-size 8 --size 256 -o runs/{config["recipe"]}
```

## Use

```
vst stylize clip.mp4 --style painting.jpg --checkpoint THIS_FOLDER -o out.mp4
```
"""
    metrics = config.get("metrics")
    if metrics:
        body += "\n## Metrics\n\n" + "\n".join(f"- {k}: {v}" for k, v in metrics.items()) + "\n"
    path = Path(directory) / "README.md"
    path.write_text(_front_matter(config) + body)
    return path
