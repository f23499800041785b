"""One fresh interpreter running the command line, and which of some modules it imported: the
start-up tests' one probe (a fact read from ``sys.modules``, never a timing)."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Sequence

_PROBE = """
import json, sys
from aegrade.cli import main
try:
    main(sys.argv[1:], prog_name="aegrade")
except SystemExit as exc:
    code = exc.code
print(json.dumps({"code": code, "loaded": sorted(m for m in %r if m in sys.modules)}))
"""


def run_fresh(modules: Sequence[str], *args: str) -> tuple[dict[str, object], str, str]:
    """``aegrade ARGS`` in a new interpreter: ``{"code": exit code, "loaded": [the modules of
    ``modules`` it imported]}``, the rest of its standard output, and its standard error."""
    done = subprocess.run(
        [sys.executable, "-c", _PROBE % (tuple(modules),), *args],
        capture_output=True,
        text=True,
        check=True,
    )
    *out, last = done.stdout.strip().splitlines()
    result: dict[str, object] = json.loads(last)
    return result, "\n".join(out), done.stderr
