"""``aegrade criteria check`` starts without pandas, numpy, pyarrow or pydantic (issue 15
point 5), and reports exactly what the models report.

Each command runs in a fresh interpreter; what it imported is read from ``sys.modules``
afterwards (a fact, never a timing). A valid file of any kind, a CTCAE-sized copy of a
packaged dictionary among them, is vouched for by the plain check; a broken file, a file that
is not YAML and a missing one go to the models and the loader, whose messages are the same as
the in-process command's.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import pytest
from click.testing import CliRunner

from aegrade.cli import main
from tests.fresh_process import run_fresh

DATA = resources.files("aegrade.criteria.data")
HEAVY = ("pandas", "numpy", "pyarrow", "pydantic", "importlib.metadata")


def _fresh(*args: str) -> tuple[dict[str, object], str, str]:
    return run_fresh(HEAVY, *args)


def _copy(tmp_path: Path, cid: str, new_id: str, change: tuple[str, str] | None = None) -> str:
    text = DATA.joinpath(f"{cid}.yaml").read_text("utf-8").replace(f"id: {cid}", f"id: {new_id}", 1)
    if change is not None:
        assert change[0] in text
        text = text.replace(*change, 1)
    path = tmp_path / f"{new_id}.yaml"
    path.write_text(text, "utf-8")
    return str(path)


@pytest.mark.parametrize("cid", ["lee-2014", "astct-2019", "icaht-2023", "car-hematotox"])
def test_a_valid_packaged_file_is_checked_without_the_stack(cid: str) -> None:
    path = str(DATA.joinpath(f"{cid}.yaml"))
    result, out, _ = _fresh("criteria", "check", path)
    assert result == {"code": 0, "loaded": []}
    assert out == CliRunner().invoke(main, ["criteria", "check", path]).output.strip()
    assert out.startswith(f"{path}: valid ") and f"criteria file '{cid}' (revision " in out


def test_a_ctcae_sized_user_file_is_checked_without_the_stack(tmp_path: Path) -> None:
    path = _copy(tmp_path, "ctcae-v5.0", "site-ctcae-v5.0")
    result, out, _ = _fresh("criteria", "check", path)
    assert result == {"code": 0, "loaded": []}
    assert out == f"{path}: valid value-thresholds criteria file 'site-ctcae-v5.0' (revision 2)"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (  # a misspelt key: the models' one line, naming the entry and the key
            ("  direction: low\n", "  diretion: low\n"),
            "entry 'Anemia': unknown key 'diretion' (did you mean 'direction'?)",
        ),
        (  # units that disagree: the CTCAE unit check, after the models
            ("          10^9/L: 1.0\n", "          10^9/L: 0.8\n"),
            "entry 'Neutrophil count decreased' (neutrophil-count-decreased): grade 3: "
            "threshold 0.8 10^9/L and 1000 /mm3 (= 1 10^9/L) disagree, 20% apart",
        ),
    ],
    ids=["unknown key", "units disagree"],
)
def test_a_broken_file_is_reported_by_the_models(
    tmp_path: Path, change: tuple[str, str], message: str
) -> None:
    path = _copy(tmp_path, "ctcae-v5.0", "site-ctcae-v5.0", change)
    result, _, err = _fresh("criteria", "check", path)
    assert result["code"] == 1
    assert "pydantic" in result["loaded"]  # type: ignore[operator]
    assert message in err
    in_process = CliRunner().invoke(main, ["criteria", "check", path])
    assert in_process.exit_code == 1
    assert err == in_process.stderr


def test_a_file_that_is_not_yaml_or_not_there(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text("id: x\nkind: [\n", "utf-8")
    result, _, err = _fresh("criteria", "check", str(path))
    assert result["code"] == 1
    assert err.startswith("error: broken.yaml: line ") and "not valid YAML" in err
    result, _, err = _fresh("criteria", "check", str(tmp_path / "missing.yaml"))
    assert result["code"] == 2 and "does not exist" in err
