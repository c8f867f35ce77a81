"""The documentation site builds strictly and offline, and the README stays a map that points into it."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def test_the_docs_site_builds_strictly(tmp_path: Path) -> None:
    """`mkdocs build --strict`: a broken link, a missing anchor or a page left out of the nav fails the build.
    Not `--quiet`: mkdocs then drops the warnings before strict mode counts them, and passes a broken site."""
    site = tmp_path / "site"
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}  # the theme's end-of-life notice, not a build warning
    command = [sys.executable, "-m", "mkdocs", "build", "--strict", "-f", str(ROOT / "mkdocs.yml"), "-d", str(site)]
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "WARNING" not in done.stderr, done.stderr
    html = (site / "index.html").read_text()
    assert "fonts.googleapis.com" not in html and "fonts.gstatic.com" not in html  # no web fonts: it reads offline
    for page in ("usage/cli", "zoo", "training/lite", "results/claims", "results/stabilizer-log"):
        assert (site / page / "index.html").is_file(), page
    # The figures that live beside their benchmarks reach the site through the links in docs/figures/.
    figures = sorted((ROOT / "docs" / "figures").iterdir())
    assert figures and all((site / "figures" / f.name).stat().st_size > 0 for f in figures)


def test_the_docs_build_needs_no_network() -> None:
    """No plugin that fetches at build time (social cards, the privacy plugin's downloads) and no web font."""
    config = yaml.safe_load((ROOT / "mkdocs.yml").read_text())
    plugins = [p if isinstance(p, str) else next(iter(p)) for p in config.get("plugins", [])]
    assert set(plugins) <= {"search"}, plugins
    assert config["theme"]["font"] is False


def test_the_readme_stays_a_map() -> None:
    """The README is a few screens; everything else lives in docs/."""
    lines = (ROOT / "README.md").read_text().splitlines()
    assert len(lines) < 260, f"README.md has {len(lines)} lines: move the details to a page under docs/"


def test_the_readme_links_and_the_model_cards_name_pages_that_exist() -> None:
    """The README's relative links (mkdocs does not check it) and the docs pages the model cards name."""
    from vst.zoo import card

    readme = (ROOT / "README.md").read_text()
    targets = [t.split("#")[0] for t in re.findall(r"\]\(([^)\s]+)\)", readme) if "://" not in t]
    assert targets and [t for t in targets if not (ROOT / t).exists()] == []
    named = {path for path, _ in (*card._FULL_PAGES, *card._LITE_PAGES)}
    for embedded in sorted((ROOT / "zoo" / "weights").glob("*/README.md")):
        named |= set(re.findall(r"`(docs/[^`]+\.md)`", embedded.read_text()))
    assert named and [p for p in sorted(named) if not (ROOT / p).is_file()] == []
