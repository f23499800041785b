"""`aegrade criteria` on dictionary terms, parameter aliases and a user's file; `--ctcae 6.0`
and `--criteria FILE` on the commands that grade."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

import aegrade.criteria.loader as loader
import aegrade.criteria.plain as plain
from aegrade.cli import main
from aegrade.criteria.plain import packaged_ids
from tests.conftest import EXAMPLES

STUDY = str(EXAMPLES / "blinatumomab_short_course.xlsx")
V5 = (resources.files("aegrade.criteria.data") / "ctcae-v5.0.yaml").read_text("utf-8")


@pytest.fixture(autouse=True)
def _forget_user_files(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test registers its own files; none outlives it."""
    monkeypatch.setattr(loader, "_USER", {})


def _run(*args: str) -> Result:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def _site(tmp_path: Path, cid: str = "site-cli") -> Path:
    path = tmp_path / "site.yaml"
    path.write_text(V5.replace("id: ctcae-v5.0\n", f"id: {cid}\n", 1), "utf-8")
    return path


def test_list_shows_real_counts() -> None:
    # entries (one per term, direction and parameter: Hypercalcemia of CA and of CAION are two)
    # and the distinct terms they grade are told apart
    lines = {ln.split()[0]: ln for ln in _run("criteria", "list").output.splitlines()}
    assert "53 entries, 50 terms graded from values, 837 in NCI's dictionary" in lines["ctcae-v5.0"]
    assert "56 entries, 52 terms graded from values, 850 in NCI's dictionary" in lines["ctcae-v6.0"]
    assert (
        "53 entries, 49 terms graded from values, 790 in NCI's dictionary" in lines["ctcae-v4.03"]
    )
    assert "13 criteria quoted from the source" in lines["astct-2019"]
    assert " 0 " not in lines["icaht-2023"]


def test_show_any_dictionary_term() -> None:
    res = _run("criteria", "show", "ctcae-v5.0", "Nausea")
    assert res.exit_code == 0
    assert res.output.startswith("Nausea [ctcae-v5.0, NCI dictionary] MedDRA 10028813")
    assert "grade 1: Loss of appetite without alteration in eating habits" in res.output
    assert "grade 4: (none)" in res.output
    assert "not graded from values" in res.output
    res = _run("criteria", "show", "6.0", "lymphopenia")
    assert "grade 1: Present" in res.output


def test_show_resolves_parameter_aliases() -> None:
    res = _run("criteria", "show", "ctcae-v5.0", "ANC")
    assert res.output.startswith(
        "Neutrophil count decreased [ctcae-v5.0/neutrophil-count-decreased]"
    )
    res = _run("criteria", "show", "ctcae-v6.0", "sgpt")
    assert res.output.startswith("Alanine aminotransferase increased [ctcae-v6.0/alt-increased]")
    assert "1.0 - 1.5 x baseline if baseline was >ULN" in " ".join(res.output.split())


def test_show_unknown_term_is_a_usage_error() -> None:
    res = CliRunner().invoke(main, ["criteria", "show", "ctcae-v5.0", "Nauseaa"])
    assert res.exit_code == 2
    assert "neither graded from values in ctcae-v5.0 nor a term of its dictionary" in res.output


def test_show_a_users_file(tmp_path: Path) -> None:
    path = _site(tmp_path)
    res = _run("criteria", "show", str(path))
    assert res.output.startswith("site-cli: Common Terminology Criteria")
    res = _run("criteria", "show", str(path), "Hypokalemia")
    assert "Hypokalemia [site-cli/hypokalemia]" in res.output


def test_grade_with_ctcae_6(tmp_path: Path) -> None:
    out = tmp_path / "graded.xlsx"
    res = _run("grade", STUDY, "--ctcae", "6.0", "-o", str(out))
    assert res.exit_code == 0, res.output
    assert "with ctcae-v6.0;" in res.output
    assert out.is_file()


def test_grade_with_a_criteria_file(tmp_path: Path) -> None:
    out = tmp_path / "graded.xlsx"
    res = _run("grade", STUDY, "--criteria", str(_site(tmp_path)), "-o", str(out))
    assert res.exit_code == 0, res.output
    assert "with site-cli;" in res.output


def test_ctcae_and_criteria_file_together_is_a_usage_error(tmp_path: Path) -> None:
    args = ["grade", STUDY, "--ctcae", "6.0", "--criteria", str(_site(tmp_path))]
    res = CliRunner().invoke(main, [*args, "-o", str(tmp_path / "o.xlsx")])
    assert res.exit_code == 2
    assert "give --ctcae or a criteria file, not both" in res.output


def test_a_broken_criteria_file_exits_1_one_line_per_problem(tmp_path: Path) -> None:
    path = _site(tmp_path, cid="site-broken-cli")
    path.write_text(path.read_text("utf-8").replace("  direction: low\n", "  direction: down\n", 1))
    res = CliRunner().invoke(main, ["grade", STUDY, "--criteria", str(path)])
    assert res.exit_code == 1
    assert "site.yaml: entry 'Anemia': key 'direction': expected one of 'low' or 'high'" in (
        res.output
    )


def test_table_and_demo_take_ctcae_6(tmp_path: Path) -> None:
    res = _run("demo", "--ctcae", "6.0")
    assert res.exit_code == 0, res.output
    assert "Thrombocytopenia" in res.output
    assert "Platelet count decreased" not in res.output
    res = _run("table", STUDY, "--ctcae", "6.0")
    assert res.exit_code == 0, res.output
    assert "Thrombocytopenia" in res.output
    res = _run("table", STUDY, "--criteria-file", str(_site(tmp_path, "site-table")))
    assert res.exit_code == 0, res.output


def test_show_a_v5_term_renamed_in_v6() -> None:
    # NCI's v5.0 -> v6.0 mapping sheet (criteria/data/dictionaries/ctcae_v5.0_to_v6.0_mapping.csv)
    # gives 'Platelet count decreased' as 'Thrombocytopenia', which v6.0 grades from values
    res = _run("criteria", "show", "ctcae-v6.0", "Platelet count decreased")
    assert res.exit_code == 0
    lines = res.output.splitlines()
    assert lines[0] == (
        "'Platelet count decreased' is not a term of ctcae-v6.0: NCI's ctcae-v5.0 -> ctcae-v6.0 "
        "mapping sheet (Deletion) gives it as 'Thrombocytopenia' (grades 1, 2, 3, 4)"
    )
    assert lines[2].startswith("Thrombocytopenia [ctcae-v6.0/thrombocytopenia] MedDRA 10043554")
    # a renamed term v6.0 grades only clinically: its NCI text; a term split in two: both
    res = _run("criteria", "show", "6.0", "wheezing")
    assert "gives it as 'Bronchospasm' (grades 1, 2, 3, 4, 5)" in res.output
    assert "Bronchospasm [ctcae-v6.0, NCI dictionary] MedDRA 10006482" in res.output
    res = _run("criteria", "show", "6.0", "Glucose intolerance")
    assert (
        "gives it as 'Hyperglycemia' (grades 1, 2, 3, 4); 'Metabolism and nutrition disorders "
        "- Other, specify' (grades 5)" in res.output
    )
    # v4.03 -> v5.0 likewise
    res = _run("criteria", "show", "ctcae-v5.0", "Menopause")
    assert (
        "ctcae-v4.03 -> ctcae-v5.0 mapping sheet (Deletion) gives it as 'Premature menopause'"
        in (res.output)
    )
    # a term no sheet knows is still a usage error
    res = CliRunner().invoke(main, ["criteria", "show", "6.0", "Nothing at all"])
    assert res.exit_code == 2 and "neither graded from values" in res.output


def test_check_reports_units_that_disagree(tmp_path: Path) -> None:
    # the new-user audit's site_half.yaml: grade 3 as 0.8 x 10^9/L beside 1000/mm3
    text = V5.replace(
        "          10^9/L: 1.0\n          /mm3: 1000\n",
        "          10^9/L: 0.8\n          /mm3: 1000\n",
    )
    path = tmp_path / "site_half.yaml"
    path.write_text(text.replace("id: ctcae-v5.0\n", "id: site-half\n", 1), "utf-8")
    res = CliRunner().invoke(main, ["criteria", "check", str(path)])
    assert res.exit_code == 1
    assert (
        "site_half.yaml: entry 'Neutrophil count decreased' (neutrophil-count-decreased): grade 3: "
        "threshold 0.8 10^9/L and 1000 /mm3 (= 1 10^9/L) disagree, 20% apart" in res.output
    )
    assert "valid" not in res.output


def test_map_unknown_term_gives_the_dictionary_nearest_terms() -> None:
    # MedDRA's PT 'Pyrexia' is CTCAE's 'Fever', but no packaged sheet says so: only the
    # dictionary's terms nearest in spelling are named, never an invented synonym
    res = CliRunner().invoke(main, ["ctcae", "map", "--term", "Pyrexia"])
    assert res.exit_code == 1
    assert (
        "'Pyrexia' is not a CTCAE v4.03 term; nearest in spelling: 'Anorexia', 'Hypoxia', "
        "'Proteinuria' (none spelt closely: give NCI's term or its MedDRA code)" in res.output
    )
    assert "Fever" not in res.output
    res = CliRunner().invoke(main, ["ctcae", "map", "--term", "Anaemia"])
    assert "did you mean 'Anemia', 'Anorgasmia'?" in res.output
    res = CliRunner().invoke(main, ["ctcae", "map", "--term", "zzzzqq"])
    assert "no term is spelt like it: give NCI's term or its MedDRA code" in res.output


@pytest.mark.parametrize("cid", packaged_ids())
def test_show_system_from_plain_data_equals_the_validated_file(
    cid: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`criteria show ID` reads a packaged file as plain data (instant); it prints exactly what
    the validated model prints."""
    quick = _run("criteria", "show", cid)

    def not_packaged(criteria: str) -> dict[str, object]:
        raise KeyError(criteria)

    monkeypatch.setattr(plain, "plain_criteria", not_packaged)
    validated = _run("criteria", "show", cid)
    assert quick.exit_code == validated.exit_code == 0
    assert quick.output == validated.output
    assert quick.output.startswith(f"{cid}: ")


def _terms_to_show(cid: str) -> list[str]:
    """Every way `criteria show ID TERM` finds an entry of ``cid`` (its term, id, parameters
    and their aliases, in other cases), a sample of NCI's dictionary (terms and MedDRA codes),
    a renamed term and an unknown one."""
    from aegrade.criteria import registry

    reg = registry()
    terms = ["Platelet count decreased", "Menopause", "wheezing", "Nothing at all", "ALT (SGPT)"]
    for entry in plain.plain_criteria(cid)["entries"]:
        terms += [entry["term"], entry["term"].upper(), entry["id"], *entry["parameters"]]
        for code in entry["parameters"]:
            terms += [a.lower() for a in reg.parameters[code].aliases[:2]]
    rows = plain.plain_dictionary(cid)
    terms += [r["term"] for r in rows[::20]] + [r["meddra_code"] for r in rows[5::40]]
    return terms


@pytest.mark.parametrize("cid", ["ctcae-v4.03", "ctcae-v5.0", "ctcae-v6.0"])
def test_show_term_from_plain_data_equals_the_validated_file(
    cid: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`criteria show ID TERM` of a packaged system reads its files as plain data (instant);
    it prints exactly what the validated model and pandas' dictionary print, term by term."""
    terms = _terms_to_show(cid)
    runner = CliRunner()
    quick = [runner.invoke(main, ["criteria", "show", cid, t]) for t in terms]

    def not_packaged(criteria: str) -> dict[str, object]:
        raise KeyError(criteria)

    monkeypatch.setattr(plain, "plain_criteria", not_packaged)
    validated = [runner.invoke(main, ["criteria", "show", cid, t]) for t in terms]
    for term, q, v in zip(terms, quick, validated, strict=True):
        assert (q.exit_code, q.output) == (v.exit_code, v.output), term
    assert quick[terms.index("Nothing at all")].exit_code == 2
    assert [q.exit_code for q in quick].count(0) >= len(terms) - 2  # v6.0 has no 'Menopause'
    assert sum("NCI dictionary] MedDRA" in q.output for q in quick) > 40
    assert sum("; thresholds in " in q.output for q in quick) > 150
