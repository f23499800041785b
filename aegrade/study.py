"""The study model (SPEC section 2): up to three tables and where each came from.

A plain data module: :class:`Study` and :class:`Table` import nothing from :mod:`aegrade.read`
(which builds them from files) nor :mod:`aegrade.prepare` (which checks them).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from aegrade.errors import failure_frame

__all__ = ["TABLES", "Study", "Table"]

#: The tables of a study, by their sheet or file names.
TABLES = ("subjects", "observations", "events")


@dataclass(frozen=True)
class Table:
    """One input table and where it came from.

    ``rows`` holds the label of each row to report in error messages (spreadsheet rows, header
    = row 1); without it the frame's index labels are used.
    """

    frame: pd.DataFrame
    file: str | None = None
    sheet: str | None = None
    rows: np.ndarray | None = None

    def labels(self) -> np.ndarray:
        """The row label of each row (``rows``, else the frame's index).

        >>> Table(pd.DataFrame({"a": [1, 2]}), rows=np.array([2, 3])).labels().tolist()
        [2, 3]
        """
        if self.rows is not None:
            return self.rows
        return self.frame.index.to_numpy(dtype=object)


@dataclass(frozen=True)
class Study:
    """Up to three tables; observations are required. ``failures`` holds the problems found
    while reading (the failure table of :mod:`aegrade.errors`).

    Examples
    --------
    >>> import pandas as pd
    >>> obs = Table(pd.DataFrame({"subject_id": ["01"], "parameter": ["HGB"], "value": [120]}))
    >>> study = Study(obs)
    >>> study.subjects is None, len(study.failures)
    (True, 0)
    """

    observations: Table
    subjects: Table | None = None
    events: Table | None = None
    source: str | None = None
    failures: pd.DataFrame = field(default_factory=failure_frame)
    #: how result cells are read (issue 10): the decimal mark of ambiguous cells ("," or ".",
    #: None: such a cell is an input error) and more no-result words
    decimal: str | None = None
    no_result: tuple[str, ...] = ()
    #: the day/month order of every date column: True day first, False month first, None
    #: decided per column from its unambiguous cells (issue 10 point 9)
    dayfirst: bool | None = None
