"""The one atomic writer: a run's whole output set appears at once, or not at all.

Every output of a run (files, and folders of files) is first written into a temporary folder
beside its destination, named ``.aegrade-tmp-<pid>-<random>`` (same file system, so the final
renames cannot fail half-way for lack of space), and moved into place only when every output
is complete. A folder output is replaced as a whole: files of an earlier run do not survive
next to the new ones. A rename that fails while the outputs are moved into place (a folder
named like an output file, a permission) puts back what was there before. The temporary
folders are removed on every exit path, SIGINT and SIGTERM included (a handler cleans up,
then lets the signal do what it did before); one left by a killed run (SIGKILL) is recognised
by its pid, no longer alive, and removed by the next run writing beside it.

``aegrade grade``, ``aegrade table``, the HTML report and ``aegrade ctcae map`` all write
through :func:`write_outputs` and :func:`write_folder`; several calls inside one
:func:`output_run` are one unit.

>>> import tempfile
>>> from pathlib import Path
>>> folder = Path(tempfile.mkdtemp())
>>> [p.name for p in write_outputs({folder / "a.txt": lambda tmp: tmp.write_text("hi")})]
['a.txt']
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import tempfile
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextvars import ContextVar
from pathlib import Path
from types import FrameType
from typing import Any

__all__ = [
    "TMP_PREFIX",
    "OutputRun",
    "Writer",
    "atomic_output",
    "check_folder",
    "output_run",
    "refuse_inputs",
    "remove_stale",
    "write_folder",
    "write_outputs",
]

#: Writes one file to the temporary path it is given.
Writer = Callable[[Path], object]

#: Name start of a run's temporary folder: ``.aegrade-tmp-<pid>-<random>``.
TMP_PREFIX = ".aegrade-tmp-"

_TMP_NAME = re.compile(re.escape(TMP_PREFIX) + r"(\d+)-[A-Za-z0-9_]+$")
#: Temporary files of the earlier per-file writer: ``.<stem>.<8 chars><suffix>.tmp``.
_OLD_TMP_NAME = re.compile(r"\..+\.[a-z0-9_]{8}\.[A-Za-z0-9.]+\.tmp$")
_SIGNALS = (signal.SIGINT, signal.SIGTERM)
_POSIX = hasattr(signal, "pthread_sigmask")

_current: ContextVar[OutputRun | None] = ContextVar("aegrade_output_run", default=None)
_live: set[OutputRun] = set()  # runs with temporaries on disk, cleaned by the signal handler
_lock = threading.Lock()


class OutputRun:
    """The outputs of one run: staged in temporary folders, then committed or aborted.

    Use :func:`output_run` (several writes as one unit) or :func:`write_outputs`.

    Examples
    --------
    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> run = OutputRun()
    >>> run.add_file(folder / "a.txt", lambda tmp: tmp.write_text("a"))
    PosixPath(...)
    >>> (folder / "a.txt").exists()
    False
    >>> run.commit()
    >>> (folder / "a.txt").read_text()
    'a'
    """

    def __init__(self) -> None:
        self._stages: dict[Path, Path] = {}  # destination folder -> its temporary folder
        self._staged: dict[Path, tuple[Path, bool]] = {}  # final -> (staged path, is folder)
        self._undo: list[tuple[Path, Path]] = []  # renames to reverse on failure: (from, to)
        self._done = False

    def _stage_dir(self, parent: Path) -> Path:
        key = parent.resolve()
        if key not in self._stages:
            parent.mkdir(parents=True, exist_ok=True)
            remove_stale(parent)
            with _lock:
                self._stages[key] = Path(
                    tempfile.mkdtemp(prefix=f"{TMP_PREFIX}{os.getpid()}-", dir=parent)
                )
                _live.add(self)
        return self._stages[key]

    def add_file(self, final: Path, write: Writer) -> Path:
        """Write one output file into the stage now; it reaches ``final`` on :meth:`commit`.

        Returns the final path. Raises ``IsADirectoryError`` when ``final`` is a folder
        (nothing is written) and whatever ``write`` raised.
        """
        final = Path(final)
        if final.is_dir() and not final.is_symlink():
            raise IsADirectoryError(f"{final} is a folder; it cannot be replaced by an output file")
        staged = self._stage_dir(final.parent) / final.name
        if final in self._staged:  # written twice in one run: the last one wins
            staged = staged.with_name(f"{len(self._staged)}.{final.name}")
        self._staged[final] = (staged, False)
        _naming(final, write, staged)
        return final

    def add_folder(
        self, final: Path, files: Mapping[str, Writer], *, ours: Callable[[str], bool]
    ) -> list[Path]:
        """Write a folder output into the stage; on :meth:`commit` it replaces ``final`` whole.

        ``ours(name)`` tells whether an entry of an existing ``final`` is an output of an
        earlier run; any other entry makes this a ``FileExistsError`` before anything is
        written (a folder holding the user's own files is never replaced). Returns the final
        paths of the files.
        """
        final = Path(final)
        if final.is_symlink():  # replace the folder it points to, not the link
            final = final.resolve()
        check_folder(final, ours=ours)
        staged = self._stage_dir(final.parent) / final.name
        staged.mkdir()
        self._staged[final] = (staged, True)
        for name, write in files.items():
            _naming(final / name, write, staged / name)
        return [final / name for name in files]

    def commit(self) -> None:
        """Move every staged output into place; on any failure put back what was there."""
        if self._done:
            return
        blocked = _block_signals()
        try:
            for n, (final, (staged, folder)) in enumerate(self._staged.items()):
                if final.is_dir() and not final.is_symlink() and not folder:
                    raise IsADirectoryError(
                        f"{final} is a folder; it cannot be replaced by an output file"
                    )
                if final.exists() or final.is_symlink():
                    backup = staged.parent / f".previous-{n}"
                    _keep(final, backup, link=not folder)
                    self._undo.append((backup, final))
                os.replace(staged, final)
                self._undo.append((final, staged))
            self._done = True
        except BaseException:
            self.abort()
            raise
        finally:
            _unblock_signals(blocked)
        self._cleanup()

    def abort(self) -> None:
        """Undo any move already made and remove the temporary folders (idempotent)."""
        if not self._done:
            while self._undo:
                src, dst = self._undo.pop()
                with contextlib.suppress(OSError):
                    os.replace(src, dst)
            self._done = True
        self._cleanup()

    def _cleanup(self) -> None:
        for stage in self._stages.values():
            shutil.rmtree(stage, ignore_errors=True)
        with _lock:
            _live.discard(self)


@contextlib.contextmanager
def output_run() -> Iterator[OutputRun]:
    """Make every :func:`write_outputs` and :func:`write_folder` call inside one unit.

    Nothing reaches its destination until the block ends without an exception; then all
    outputs are moved into place together. Inside an active run a nested block joins it.

    Examples
    --------
    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> try:
    ...     with output_run():
    ...         _ = atomic_output(folder / "table.csv", lambda t: t.write_text("n"))
    ...         raise OSError("the report failed")
    ... except OSError:
    ...     pass
    >>> list(folder.iterdir())
    []
    """
    outer = _current.get()
    if outer is not None:
        yield outer
        return
    run = OutputRun()
    token = _current.set(run)
    previous = _install_handlers()
    try:
        yield run
        run.commit()
    finally:
        run.abort()
        _current.reset(token)
        _restore_handlers(previous)


def write_outputs(files: Mapping[Path, Writer]) -> list[Path]:
    """Write every file of a run's output set atomically, as one unit.

    Parameters
    ----------
    files
        Final path -> a function writing that file to the temporary path it is given (in a
        temporary folder beside the final path, with the same file name). Missing parent
        folders are created.

    Returns
    -------
    list of pathlib.Path
        The final paths, in the order given.

    Raises
    ------
    Exception
        Whatever a writer raised, or the error of a rename (``IsADirectoryError`` when a final
        path is a folder); then no file of the set has been replaced and no temporary is left.

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
    with output_run() as run:
        return [run.add_file(Path(final), write) for final, write in files.items()]


def write_folder(
    folder: str | Path,
    files: Mapping[str, Writer],
    *,
    ours: Callable[[str], bool] = lambda name: False,
) -> list[Path]:
    """Write a folder of files as one unit, replacing an earlier run's folder as a whole.

    Parameters
    ----------
    folder
        The output folder; its parents are created.
    files
        File name -> a function writing that file to the temporary path it is given.
    ours
        Whether an entry of an existing ``folder`` was written by an earlier run (only then
        is the folder replaced; aegrade's own temporaries always count as ours).

    Returns
    -------
    list of pathlib.Path
        The files written.

    Raises
    ------
    FileExistsError
        ``folder`` holds files that are not ours (nothing is written).

    Examples
    --------
    >>> import tempfile
    >>> out = Path(tempfile.mkdtemp()) / "graded"
    >>> _ = write_folder(out, {"old.csv": lambda t: t.write_text("1")})
    >>> earlier = {"old.csv"}.__contains__
    >>> _ = write_folder(out, {"new.csv": lambda t: t.write_text("2")}, ours=earlier)
    >>> sorted(p.name for p in out.iterdir())
    ['new.csv']
    """
    with output_run() as run:
        return run.add_folder(Path(folder), files, ours=ours)


def check_folder(folder: str | Path, *, ours: Callable[[str], bool]) -> None:
    """Check, before any work, that ``folder`` may receive a folder output.

    It may when it does not exist yet, or when everything in it is ``ours`` (an earlier run's
    output, judged by name; a sub-folder never is) or aegrade's temporaries.

    Raises
    ------
    NotADirectoryError
        ``folder`` is a file.
    FileExistsError
        ``folder`` holds something else, named in the message.

    Examples
    --------
    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> (folder / "notes.docx").write_text("mine")
    4
    >>> check_folder(folder, ours=lambda name: name.endswith(".csv"))
    Traceback (most recent call last):
    ...
    FileExistsError: ... holds files aegrade did not write (notes.docx); an output folder is ...
    """
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise NotADirectoryError(f"{folder} is a file; give a folder for this output")
    if folder.is_dir():
        foreign = sorted(p.name for p in folder.iterdir() if not _ours(p, ours))
        if foreign:
            shown = ", ".join(foreign[:3]) + (", ..." if len(foreign) > 3 else "")
            raise FileExistsError(
                f"{folder} holds files aegrade did not write ({shown}); an output folder is "
                "replaced as a whole: give a new or empty folder"
            )


def _naming(final: Path, write: Writer, staged: Path) -> None:
    """``write(staged)``, an OS error that names no path (a full disk) naming ``final``."""
    try:
        write(staged)
    except OSError as exc:
        if exc.filename is not None or exc.errno is None:
            raise
        raise type(exc)(exc.errno, exc.strerror, str(final)) from exc


def atomic_output(final: str | Path, write: Writer) -> Path:
    """Write one file atomically: :func:`write_outputs` with a single file.

    >>> import tempfile
    >>> path = Path(tempfile.mkdtemp()) / "t.txt"
    >>> atomic_output(path, lambda tmp: tmp.write_text("ok"))
    PosixPath(...)
    >>> path.read_text()
    'ok'
    """
    return write_outputs({Path(final): write})[0]


def remove_stale(folder: Path) -> list[Path]:
    """Remove the temporary folders that killed runs left in ``folder``.

    A temporary folder is stale when the process named by its pid is no longer alive.

    Returns
    -------
    list of pathlib.Path
        What was removed.

    Examples
    --------
    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> (folder / ".aegrade-tmp-999999999-x1").mkdir()
    >>> [p.name for p in remove_stale(folder)]
    ['.aegrade-tmp-999999999-x1']
    """
    removed: list[Path] = []
    try:
        entries = [p for p in folder.iterdir() if p.name.startswith(".")]
    except OSError:
        return removed
    for path in entries:
        match = _TMP_NAME.match(path.name)
        if match is None or _alive(int(match.group(1))):
            continue
        shutil.rmtree(path, ignore_errors=True)
        removed.append(path)
    return removed


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


#: Files an operating system drops into any folder it shows.
_CLUTTER = frozenset({".DS_Store", "Thumbs.db", "desktop.ini"})


def _ours(entry: Path, ours: Callable[[str], bool]) -> bool:
    """An entry an earlier run (or the operating system) left: never a folder of the user's."""
    name = entry.name
    if _TMP_NAME.match(name):
        return True
    if entry.is_dir() and not entry.is_symlink():
        return False
    return name in _CLUTTER or _OLD_TMP_NAME.match(name) is not None or ours(name)


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True  # this process: a run of another thread
    try:
        os.kill(pid, 0)
    except PermissionError:
        return True  # alive, under another user
    except (ProcessLookupError, OverflowError):
        return False  # gone, or no pid at all
    return True


def _keep(final: Path, backup: Path, *, link: bool) -> None:
    """Keep what ``final`` holds at ``backup`` until the run is committed: a file as a second
    link (``final`` never disappears), a folder (or a file system without links) by a rename."""
    if link and not final.is_symlink():
        try:
            os.link(final, backup)
            return
        except OSError:
            pass
    os.rename(final, backup)


def _block_signals() -> set[int | signal.Signals] | None:
    """Hold SIGINT/SIGTERM while the outputs are moved into place (a few renames)."""
    if threading.current_thread() is not threading.main_thread() or not _POSIX:
        return None
    return signal.pthread_sigmask(signal.SIG_BLOCK, _SIGNALS)


def _unblock_signals(previous: set[int | signal.Signals] | None) -> None:
    if previous is not None:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def _on_signal(signum: int, frame: FrameType | None) -> None:
    """Remove every live run's temporaries, then let the signal act as it did before."""
    with _lock:
        runs = list(_live)
    for run in runs:
        run.abort()
    previous = _handlers_before.get(signum, signal.SIG_DFL)
    signal.signal(signum, previous)
    os.kill(os.getpid(), signum)


_handlers_before: dict[int, Any] = {}


def _install_handlers() -> dict[int, Any] | None:
    if threading.current_thread() is not threading.main_thread() or _handlers_before:
        return None
    installed: dict[int, Any] = {}
    for sig in _SIGNALS:
        before = signal.getsignal(sig)
        if before in (signal.SIG_IGN, None):
            continue
        installed[sig] = before
        signal.signal(sig, _on_signal)
    _handlers_before.update(installed)
    return installed


def _restore_handlers(installed: dict[int, Any] | None) -> None:
    if installed is None:
        return
    for sig, before in installed.items():
        if signal.getsignal(sig) is _on_signal:
            signal.signal(sig, before)
    _handlers_before.clear()
