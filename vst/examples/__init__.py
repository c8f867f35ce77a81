"""The example clips and paintings that ship with vst: the demo's examples, the benchmarks' and the tests' inputs.

Package data with a home of its own, below the app, the CLI and the benchmarks that use it, so that none of them
imports another for it; an installed `vst app` has them as a checkout does. Their sources and licences are in
`ATTRIBUTION.md`.
"""

from __future__ import annotations

from pathlib import Path

FOLDER = Path(__file__).parent  # a plain folder: setuptools installs package data unzipped
ATTRIBUTION = FOLDER / "ATTRIBUTION.md"
CLIPS = tuple(sorted(FOLDER.glob("*.mp4")))
PAINTINGS = tuple(sorted(FOLDER.glob("*.jpg")))
