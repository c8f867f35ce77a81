"""The fixed split of the training styles into paintings to train on and paintings never trained on.

    python -m vst.training.split ../shared/data/train/styles      # prints the validation list (it is committed)

Generalization to unseen styles is the product's promise, so a seeded set of
paintings is held out once and for all: `vst train` leaves out every file named in
`VALIDATION_STYLES` by default and `benchmarks/quality.py` measures on them. The
set is spread across the sources (the part of a file name before `__`), in
proportion to each source's size, so that it covers the same kinds of artwork.
"""

from __future__ import annotations

import argparse
from collections import defaultdict
from pathlib import Path

import numpy as np

VALIDATION_STYLES = Path(__file__).with_name("splits") / "validation-styles.txt"
VALIDATION_SIZE = 48
SEED = 2026


def source_of(name: str) -> str:
    """The source of a training file, from its `<source>__<stem>` name."""
    return name.split("__", 1)[0] if "__" in name else ""


def make_split(names: list[str], size: int = VALIDATION_SIZE, seed: int = SEED) -> list[str]:
    """`size` names drawn per source in proportion to its size (largest remainders), sorted."""
    by_source: dict[str, list[str]] = defaultdict(list)
    for name in sorted(names):
        by_source[source_of(name)].append(name)
    sources = sorted(by_source)
    shares = np.array([size * len(by_source[s]) / len(names) for s in sources])
    quota = np.floor(shares).astype(int)
    for i in np.argsort(-(shares - quota), kind="stable")[: size - quota.sum()]:
        quota[i] += 1
    rng = np.random.default_rng(seed)
    picked: list[str] = []
    for source, n in zip(sources, quota):
        picked.extend(rng.permutation(by_source[source])[:n].tolist())
    return sorted(picked)


def validation_styles() -> list[str]:
    """The committed list of held-out style file names."""
    return VALIDATION_STYLES.read_text().split()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("styles", type=Path, help="the training style folder")
    args = parser.parse_args()
    names = sorted(p.name for p in args.styles.iterdir() if p.is_file())
    print("\n".join(make_split(names)))


if __name__ == "__main__":
    main()
