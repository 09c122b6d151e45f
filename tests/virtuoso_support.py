"""One private Virtuoso per test session, started by ``scripts/virtuoso.sh``.

Shared by the test modules that need a real remote SPARQL engine. Not a conftest fixture so
the modules that use it stay self-contained; the instance is cached here and stopped when the
interpreter exits. In CI (``CI=true``) a Virtuoso that cannot be installed or started is a
failure; locally it skips with the reason.
"""

from __future__ import annotations

import atexit
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "virtuoso.sh"


@dataclass(frozen=True)
class Virtuoso:
    directory: Path
    sparql: str
    sparql_auth: str
    gsp_auth: str
    user: str
    password: str
    http_port: int


_instance: Virtuoso | None = None
_failure: str | None = None


def _in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def _run(*args: str, timeout: float) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", str(SCRIPT), *args], capture_output=True, text=True, timeout=timeout, check=False
    )


def _start() -> Virtuoso:
    install = _run("install", timeout=600)
    if install.returncode != 0:
        raise RuntimeError(f"cannot install Virtuoso: {install.stderr.strip()[-2000:]}")
    directory = Path(tempfile.mkdtemp(prefix="spacekg-virtuoso-"))
    started = _run("start", str(directory), timeout=120)
    if started.returncode != 0:
        shutil.rmtree(directory, ignore_errors=True)
        raise RuntimeError(f"cannot start Virtuoso: {started.stderr.strip()[-2000:]}")
    env = dict(line.split("=", 1) for line in started.stdout.splitlines() if "=" in line)

    def stop() -> None:
        _run("stop", str(directory), timeout=60)
        shutil.rmtree(directory, ignore_errors=True)

    atexit.register(stop)
    return Virtuoso(
        directory=directory,
        sparql=env["VIRTUOSO_SPARQL"],
        sparql_auth=env["VIRTUOSO_SPARQL_AUTH"],
        gsp_auth=env["VIRTUOSO_GSP_AUTH"],
        user=env["VIRTUOSO_USER"],
        password=env["VIRTUOSO_PASSWORD"],
        http_port=int(env["VIRTUOSO_HTTP_PORT"]),
    )


def virtuoso() -> Virtuoso:
    """The session's Virtuoso; skip (locally) or fail (CI) when it cannot run."""
    global _instance, _failure
    if _instance is None and _failure is None:
        try:
            _instance = _start()
        except (RuntimeError, OSError, subprocess.TimeoutExpired) as exc:
            _failure = str(exc)
    if _instance is None:
        if _in_ci():
            pytest.fail(f"Virtuoso is required in CI: {_failure}")
        pytest.skip(f"Virtuoso unavailable here (install virtuoso-opensource): {_failure}")
    return _instance
