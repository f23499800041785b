"""GradeResult.meta (the About sheet) lists every grading system of a run, from the headers."""

from __future__ import annotations

from aegrade.criteria import load_criteria, provenance
from aegrade.pipeline import grade
from tests.conftest import EXAMPLES


def test_meta_lists_every_system_used_with_revision_and_citation() -> None:
    res = grade(
        EXAMPLES / "blinatumomab_short_course",
        errors="coerce",
        crs=["astct-2019", "lee-2014", "ctcae"],
        icans="astct-2019",
    )
    meta = res.meta
    used = [
        "ctcae-v5.0",
        "astct-2019",
        "lee-2014",
        "ctcae-v5.0-crs",
        "icaht-2023",
        "car-hematotox",
        "asco-idsa-neutropenia",
    ]
    assert meta["grading_systems"] == ", ".join(used)
    for cid in used:
        c = load_criteria(cid)
        assert meta[f"{cid} revision"] == str(c.revision)
        assert meta[f"{cid} citation"] == " ".join(c.citation.split())
        assert meta[f"{cid} title"] == c.title
        assert meta[f"{cid} reviewed_by"] == "not reviewed"
    assert meta["crs"] == "astct-2019,lee-2014,ctcae-v5.0-crs"
    assert (meta["icans"], meta["icaht"]) == ("astct-2019", "icaht-2023")
    assert meta["criteria"] == "ctcae-v5.0" and meta["criteria_revision"] == "2"
    assert meta["lee-2014 citation"].endswith("doi:10.1182/blood-2014-05-552729")


def test_meta_names_only_the_systems_run() -> None:
    res = grade(
        EXAMPLES / "blinatumomab_short_course",
        "4.03",
        errors="coerce",
        crs=None,
        icans=None,
        hematology=False,
    )
    assert res.meta["grading_systems"] == "ctcae-v4.03"
    assert [p["id"] for p in provenance([res.meta["criteria"]])] == ["ctcae-v4.03"]
    assert "astct-2019 revision" not in res.meta
