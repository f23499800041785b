"""The one atomic writer: a run's whole output set appears at once, or not at all.

Each file is first written under a temporary name in its destination folder (so the rename
cannot cross a file system), given the permissions a new file gets, and renamed into place
only when every file of the set is complete. A failed run removes its temporary files and
leaves the previous outputs untouched. ``aegrade grade``, ``aegrade table``, the HTML report
and ``aegrade ctcae map`` all write through :func:`write_outputs`.

>>> import tempfile
>>> from pathlib import Path
>>> folder = Path(tempfile.mkdtemp())
>>> [p.name for p in write_outputs({folder / "a.txt": lambda tmp: tmp.write_text("hi")})]
['a.txt']
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

__all__ = ["Writer", "atomic_output", "refuse_inputs", "write_outputs"]

#: Writes one file to the temporary path it is given.
Writer = Callable[[Path], object]


def write_outputs(files: Mapping[Path, Writer]) -> list[Path]:
    """Write every file of a run's output set atomically, as one unit.

    Parameters
    ----------
    files
        Final path -> a function writing that file to the temporary path it is given.
        Missing parent folders are created.

    Returns
    -------
    list of pathlib.Path
        The final paths, in the order given.

    Raises
    ------
    Exception
        Whatever a writer raised; then no file of the set has been replaced.

    Examples
    --------
    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> def boom(tmp: Path) -> None:
    ...     raise OSError("disk full")
    >>> try:
    ...     write_outputs({folder / "a.csv": lambda t: t.write_text("x"), folder / "b.csv": boom})
    ... except OSError:
    ...     pass
    >>> sorted(p.name for p in folder.iterdir())
    []
    """
    pending: list[tuple[Path, Path]] = []
    try:
        for final, write in files.items():
            final.parent.mkdir(parents=True, exist_ok=True)
            tmp = _tmp_name(final)
            pending.append((tmp, final))
            write(tmp)
            _usual_mode(tmp)
        for tmp, final in pending:
            os.replace(tmp, final)
    finally:
        for tmp, _ in pending:
            tmp.unlink(missing_ok=True)
    return [final for _, final in pending]


def atomic_output(final: str | Path, write: Writer) -> Path:
    """Write one file atomically: :func:`write_outputs` with a single file.

    >>> import tempfile
    >>> path = Path(tempfile.mkdtemp()) / "t.txt"
    >>> atomic_output(path, lambda tmp: tmp.write_text("ok")).read_text()
    'ok'
    """
    return write_outputs({Path(final): write})[0]


def refuse_inputs(targets: Iterable[Path], inputs: Iterable[str | Path]) -> None:
    """Refuse any output path that is one of the run's inputs.

    Raises
    ------
    ValueError
        Naming the first output that would overwrite an input.

    Examples
    --------
    >>> refuse_inputs([Path("out.xlsx")], ["study.xlsx"])
    >>> refuse_inputs([Path("study.xlsx")], ["study.xlsx"])
    Traceback (most recent call last):
    ...
    ValueError: refusing to overwrite the input study.xlsx; choose another output
    """
    sources = {Path(s).resolve() for s in inputs}
    for t in targets:
        if t.resolve() in sources:
            raise ValueError(f"refusing to overwrite the input {t}; choose another output")


def _tmp_name(final: Path) -> Path:
    fd, name = tempfile.mkstemp(
        prefix=f".{final.stem}.", suffix=final.suffix + ".tmp", dir=final.parent
    )
    os.close(fd)
    return Path(name)


def _usual_mode(path: Path) -> None:
    """mkstemp creates 0600 files; give the output the permissions a new file gets."""
    umask = os.umask(0)
    os.umask(umask)
    path.chmod(0o666 & ~umask)
