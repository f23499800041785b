"""Installed, not only checked out: build the wheel, install it in a fresh venv, run the CLI.

The wheel is built offline from a copy of the sources (``pip wheel --no-build-isolation``, so
no index is asked for setuptools and the checkout gets no ``build/`` folder). The fresh venv
has no pip and no aegrade of its own; the wheel is installed into it with ``--no-deps`` and the
dependencies are made visible through a ``.pth`` line naming the test environment's
site-packages (a plain path line: the ``.pth`` files there, among them the editable install of
this checkout, are not run). The CLI then runs with its working directory outside the
repository, so the only ``aegrade`` it can import is the installed one.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

pytestmark = pytest.mark.packaging

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "aegrade"


def _run(
    args: list[str | Path], cwd: Path, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "COV_", "COVERAGE"))}
    return subprocess.run(
        [str(a) for a in args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def _checked(proc: subprocess.CompletedProcess[str]) -> str:
    assert proc.returncode == 0, f"{proc.args}\nstdout:\n{proc.stdout}\nstderr:\n{proc.stderr}"
    return proc.stdout


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel of the current sources, built offline from a clean copy."""
    src = tmp_path_factory.mktemp("src")
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, src / name)
    shutil.copytree(PACKAGE, src / "aegrade", ignore=shutil.ignore_patterns("__pycache__"))
    out = tmp_path_factory.mktemp("wheel")
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "--no-input"]
    _checked(
        _run(
            [*pip, "wheel", "--no-deps", "--no-build-isolation", "--no-index", "-w", out, "."], src
        )
    )
    (built,) = out.glob("aegrade-*.whl")
    return built


@pytest.fixture(scope="module")
def venv(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv (no pip) with only the wheel installed; dependencies through a .pth line."""
    env_dir = tmp_path_factory.mktemp("venv") / "fresh"
    _checked(_run([sys.executable, "-m", "venv", "--without-pip", env_dir], env_dir.parent))
    python = env_dir / "bin" / "python"
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "--no-input"]
    _checked(
        _run(
            [*pip, "--python", python, "install", "--no-deps", "--no-index", wheel],
            env_dir.parent,
        )
    )
    site = _checked(
        _run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], env_dir)
    ).strip()
    (Path(site) / "aegrade_test_dependencies.pth").write_text(
        sysconfig.get_paths()["purelib"] + "\n", encoding="utf-8"
    )
    return env_dir


def test_wheel_carries_every_data_file(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
    for required in (
        "aegrade/py.typed",
        "aegrade/criteria/data/ctcae-v5.0.yaml",
        "aegrade/criteria/data/ctcae-v4.03.yaml",
        "aegrade/criteria/data/astct-2019.yaml",
        "aegrade/criteria/data/parameters.yaml",
        "aegrade/criteria/data/dictionaries/ctcae_v5.0.csv",
        "aegrade/criteria/data/dictionaries/ctcae_v4.03_to_v5.0_mapping.csv",
        "aegrade/examples/blinatumomab_short_course.xlsx",
        "aegrade/examples/blinatumomab_short_course/observations.csv",
    ):
        assert required in names, required
    # Every data file of the package (criteria, dictionaries, the study, ...) ships: a new
    # file that the package-data globs of pyproject.toml miss fails here.
    data = {
        p.relative_to(ROOT).as_posix()
        for p in PACKAGE.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts and p.suffix not in {".py", ".pyc"}
    }
    assert data - names == set()
    assert {p for p in data if p.endswith(".yaml")} >= {
        "aegrade/criteria/data/ctcae-v5.0.yaml",
        "aegrade/criteria/data/lee-2014.yaml",
    }


def test_installed_wheel_runs_demo(venv: Path, tmp_path: Path) -> None:
    python = venv / "bin" / "python"
    where = _checked(
        _run(
            [
                python,
                "-c",
                "import aegrade, aegrade.cli.demo as d; print(aegrade.__file__); "
                "print(d.example_study())",
            ],
            tmp_path,
        )
    ).split()
    assert Path(where[0]).is_relative_to(venv), where
    assert Path(where[1]).is_relative_to(venv), where
    out = _checked(_run([venv / "bin" / "aegrade", "demo"], tmp_path))
    assert "Example study: blinatumomab_short_course.xlsx, 30 patients, 18,294" in out
    assert "Adverse events by worst grade" in out
    assert "Number of patients (N = 30)" in out
    assert "Neutrophil count decreased" in out
    assert not any(tmp_path.iterdir()), "demo wrote into its working directory"
