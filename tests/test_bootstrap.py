"""scripts/bootstrap.sh finds Python 3.10 by itself, and says what to install when there is none."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT

TOOLS = ["bash", "dirname", "ls", "grep", "sort", "cat", "sha256sum", "cut", "rm", "env"]


def minimal_path(tmp_path: Path, extra: dict[str, str] | None = None) -> str:
    """A PATH with basic tools only (no python3.10, no pyenv), plus ``extra`` name → target."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in TOOLS:
        found = shutil.which(tool)
        assert found, tool
        (bin_dir / tool).symlink_to(found)
    for name, target in (extra or {}).items():
        (bin_dir / name).symlink_to(target)
    return str(bin_dir)


def run_bootstrap(tmp_path: Path, path: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", str(ROOT / "scripts" / "bootstrap.sh")],
        env={"PATH": path, "HOME": str(tmp_path), "VENV": str(tmp_path / "venv"), **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_without_python_310_it_says_what_to_install(tmp_path: Path) -> None:
    result = run_bootstrap(tmp_path, minimal_path(tmp_path))
    assert result.returncode == 1
    assert "no Python 3.10 found" in result.stderr
    assert "pyenv install 3.10.13" in result.stderr
    assert "apt-get install python3.10 python3.10-venv" in result.stderr
    assert "PYTHON=/path/to/python3.10" in result.stderr
    assert not (tmp_path / "venv").exists()


def test_a_wrong_python_in_env_is_reported_and_not_used(tmp_path: Path) -> None:
    fake = tmp_path / "python3.11"
    fake.write_text("#!/bin/bash\nexit 1\n")
    fake.chmod(0o755)
    result = run_bootstrap(tmp_path, minimal_path(tmp_path), PYTHON=str(fake))
    assert result.returncode == 1
    assert f"$PYTHON={fake} is not a working Python 3.10" in result.stderr


def which_python(tmp_path: Path, path: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", str(ROOT / "scripts" / "bootstrap.sh"), "--which-python"],
        env={"PATH": path, "HOME": str(tmp_path), **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def broken_shim(tmp_path: Path) -> Path:
    """Like a pyenv shim for a version that is installed but not active: it exits 127."""
    shim = tmp_path / "shim"
    shim.write_text("#!/bin/bash\necho 'pyenv: python3.10: command not found' >&2; exit 127\n")
    shim.chmod(0o755)
    return shim


def test_python_from_the_python_env_var_is_used(tmp_path: Path) -> None:
    assert sys.version_info[:2] == (3, 10)  # the tests run in the project's 3.10 venv
    result = which_python(tmp_path, minimal_path(tmp_path), PYTHON=sys.executable)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == sys.executable


def test_pyenv_310_is_found_when_the_python310_shim_is_broken(tmp_path: Path) -> None:
    root = tmp_path / "pyenv"
    (root / "versions" / "3.10.99" / "bin").mkdir(parents=True)
    interpreter = root / "versions" / "3.10.99" / "bin" / "python"
    interpreter.symlink_to(sys.executable)
    (root / "versions" / "3.11.7").mkdir()
    pyenv = tmp_path / "pyenv-cmd"
    pyenv.write_text(f'#!/bin/bash\n[ "$1" = root ] && echo {root}\n')
    pyenv.chmod(0o755)
    path = minimal_path(tmp_path, {"python3.10": str(broken_shim(tmp_path)), "pyenv": str(pyenv)})
    result = which_python(tmp_path, path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == str(interpreter)
    assert os.access(result.stdout.strip(), os.X_OK)
