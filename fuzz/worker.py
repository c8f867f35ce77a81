"""One libFuzzer process for one target: `python -m fuzz.worker TARGET CORPUS [libFuzzer flags]`."""

from __future__ import annotations

import sys

import atheris


def main() -> None:
    target = sys.argv[1]
    import av  # noqa: F401  (third-party code is imported first, uninstrumented: coverage is vst's own)
    import numpy  # noqa: F401
    import PIL.Image  # noqa: F401
    import safetensors  # noqa: F401
    import torch  # noqa: F401

    if target == "app_request":
        import gradio  # noqa: F401
    with atheris.instrument_imports(include=["vst", "fuzz"]):
        from fuzz.targets import TARGETS

        if target == "app_request":
            from vst import app  # noqa: F401
    atheris.Setup([sys.argv[0], *sys.argv[2:]], TARGETS[target])
    atheris.Fuzz()


if __name__ == "__main__":
    main()
