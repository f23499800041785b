from __future__ import annotations

import base64
import re

import pandas as pd

from aegrade.tables import build_ae_table, build_crs_icans_summary
from aegrade.write import write_report


def test_report_has_tables_and_plots(table3_ae, subjects30, tmp_path):
    obs = pd.DataFrame(
        {"subject_id": ["P01"], "parameter": ["TOCILIZUMAB"], "day": [2.0], "value": ["given"]}
    )
    tables = [
        build_ae_table(table3_ae, subjects30),
        build_crs_icans_summary(table3_ae, subjects30, obs),
    ]
    path = write_report(tmp_path / "r.html", tables, table3_ae, obs)
    text = path.read_text(encoding="utf-8")
    assert text.count('<table class="ae">') == 2
    # the cell as a reader sees it (its count sits in an aligning <span>, issue 14 point 5)
    assert "<td>25 (83.3)</td>" in re.sub(r"</?span[^>]*>", "", text)
    images = re.findall(r'src="data:image/png;base64,([^"]+)"', text)
    assert len(images) == 2  # worst-grade chart and the swimmer plot
    for img in images:
        assert base64.b64decode(img)[:8] == b"\x89PNG\r\n\x1a\n"
    assert not re.search(r"(src|href)=\"https?:", text)


def test_report_without_crs_has_one_plot(table3_ae, subjects30, tmp_path):
    ae = table3_ae[~table3_ae["term"].str.contains("syndrome")]
    text = write_report(tmp_path / "r.html", [build_ae_table(ae, subjects30)], ae).read_text()
    assert text.count("data:image/png;base64,") == 1
