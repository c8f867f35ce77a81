"""One installed namespace: `vst.*` is the only way in, in a checkout as from a wheel."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import tomllib

REPO = Path(__file__).resolve().parents[1]
OLD_NAMES = ("app", "zoo", "training", "vst_core", "vst_cli", "vst_live")
# What the engine must never pull in: it knows nothing of the web app, the zoo, training or the Hub.
OUTSIDE_THE_ENGINE = ("gradio", "huggingface_hub", "vst.zoo", "vst.training", "vst.app", "vst.cli", "vst.live")


def modules_loaded_by(statements: str) -> list[str]:
    """The names in sys.modules after `statements` run in a fresh interpreter (importlib and pkgutil imported)."""
    code = f"import importlib, pkgutil, sys; {statements}; print(*sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True)
    return done.stdout.split()


def test_the_checkout_links_match_the_installed_mapping() -> None:
    """vst/'s links (a checkout) and pyproject's package-dir (a wheel) put the same folders under the same names;
    the packages that live in vst/ itself (the example media) need no mapping."""
    setuptools = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]
    mapping = setuptools["package-dir"]
    own = [f"vst.{p.name}" for p in (REPO / "vst").iterdir() if not p.is_symlink() and (p / "__init__.py").is_file()]
    assert sorted(setuptools["packages"]) == sorted(["vst", *mapping, *own])
    for package, folder in mapping.items():
        link = REPO / "vst" / package.removeprefix("vst.")
        assert link.is_symlink() and link.resolve() == (REPO / folder).resolve(), package
    assert (REPO / "vst" / "app.py").resolve() == REPO / "app.py"


@pytest.mark.slow
def test_no_module_imports_a_top_level_name() -> None:
    """Importing every part loads nothing under the old top-level names, which would be second copies of the code
    (two `VstError` classes) and would collide with a user's own `app.py` or `training/`."""
    parts = "vst.app", "vst.cli", "vst.live", "vst.training.train", "vst.training.distill", "vst.zoo.commands"
    loaded = {name.split(".")[0] for name in modules_loaded_by(f"[importlib.import_module(m) for m in {parts!r}]")}
    assert not loaded & set(OLD_NAMES)


@pytest.mark.slow
def test_the_engine_imports_nothing_outside_it() -> None:
    """Every module of vst.core, imported together, loads none of the layers above it: a web server, a video
    script or another app can take the engine alone, and the layers stay one-way."""
    loaded = modules_loaded_by(
        "import vst.core; "
        "[importlib.import_module(m.name) for m in pkgutil.walk_packages(vst.core.__path__, 'vst.core.')]"
    )
    assert "vst.core.pipeline" in loaded and "vst.core.adain_import" in loaded
    outside = [m for m in loaded if any(m == name or m.startswith(f"{name}.") for name in OUTSIDE_THE_ENGINE)]
    assert not outside, outside


@pytest.mark.slow
def test_a_checkout_that_was_never_installed_imports_the_namespace() -> None:
    """A Hugging Face Space runs `python app.py` without installing vst: the links in vst/ must be enough. The
    editable install's finder is taken away, so only the checkout's folders can answer."""
    code = (
        "import sys; sys.meta_path[:] = [f for f in sys.meta_path if 'editable' not in repr(f).lower()]; "
        "import vst.app, vst.training.distill, vst.examples; print(vst.app.__file__, vst.examples.FOLDER)"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True)
    assert done.stdout.split() == [str(REPO / "vst" / "app.py"), str(REPO / "vst" / "examples")]
