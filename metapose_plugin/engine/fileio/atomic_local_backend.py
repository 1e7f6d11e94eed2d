"""Local file backend whose writes are atomic.

MMEngine's ``LocalBackend.put`` opens the target with ``'wb'`` and writes into
it, so a crash while a checkpoint is being written leaves a truncated file
under the final name. ``AtomicLocalBackend`` writes into a temporary file in
the same folder, flushes it to disk and renames it over the target with
``os.replace`` (atomic on POSIX and Windows within one file system): readers
see either the old file or the complete new one.

A process killed during a write (SIGKILL, power loss) cannot remove its
temporary file; :func:`remove_stale_temporaries` removes such leftovers when
the next run starts (``AtomicCheckpointHook`` calls it).
"""
import os
import os.path as osp
import re
import tempfile
import threading
from pathlib import Path
from typing import List, Union

from mmengine.fileio import LocalBackend, register_backend


#: Name of a temporary file of :func:`write_atomically`:
#: ``.<target name>.<8 random characters of mkstemp>.tmp``.
TEMPORARY_NAME = re.compile(r'^\.(?P<target>.+)\.[a-z0-9_]{8}\.tmp$')

_UMASK_LOCK = threading.Lock()


def _file_mode() -> int:
    """Mode of a new file under the process umask (``0o666 & ~umask``)."""
    # os.umask both reads and sets: set it back at once, under a lock
    with _UMASK_LOCK:
        umask = os.umask(0o022)
        os.umask(umask)
    return 0o666 & ~umask


def write_atomically(data: bytes, filepath: Union[str, Path]) -> None:
    """Write ``data`` to ``filepath`` through a temporary file and a rename.

    The file gets the mode a plain ``open(filepath, 'wb')`` would give it
    (``0o666`` less the umask; ``mkstemp`` alone would make it ``0o600``).

    Args:
        data (bytes): The whole content of the file.
        filepath (str | Path): Destination; its folder is created if missing.
    """
    folder = osp.dirname(osp.abspath(filepath))
    os.makedirs(folder, exist_ok=True)
    fd, tmp_path = tempfile.mkstemp(
        dir=folder, prefix=f'.{osp.basename(filepath)}.', suffix='.tmp')
    try:
        if hasattr(os, 'fchmod'):
            os.fchmod(fd, _file_mode())
        with os.fdopen(fd, 'wb') as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp_path, filepath)
    except BaseException:
        if osp.exists(tmp_path):
            os.remove(tmp_path)
        raise
    # Persist the rename itself (the folder entry); not possible on Windows.
    if hasattr(os, 'O_DIRECTORY'):
        dir_fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)


def remove_stale_temporaries(folder: str) -> List[str]:
    """Remove the temporary files that :func:`write_atomically` left in
    ``folder`` when its process was killed mid-write.

    Call it only when no other process writes into ``folder`` (at the start
    of a run, on one rank).

    Args:
        folder (str): The folder; a missing one is fine.

    Returns:
        list[str]: The removed paths, sorted.
    """
    if not osp.isdir(folder):
        return []
    removed = []
    for name in sorted(os.listdir(folder)):
        path = osp.join(folder, name)
        if TEMPORARY_NAME.match(name) and osp.isfile(path):
            os.remove(path)
            removed.append(path)
    return removed


@register_backend('AtomicLocalBackend')
class AtomicLocalBackend(LocalBackend):
    """``LocalBackend`` with crash-safe ``put`` and ``put_text``.

    ``AtomicCheckpointHook`` writes with it unless told otherwise (every
    config's checkpoint hook, ``configs/_base_/default_runtime.py``); any
    backend user selects it with ``backend_args=dict(backend=
    'AtomicLocalBackend')``. Every other operation (read, remove, list) is the
    plain local one.
    """

    def put(self, obj: bytes, filepath: Union[str, Path]) -> None:
        """Write bytes to ``filepath`` atomically.

        Args:
            obj (bytes): Data to be written.
            filepath (str | Path): Path to write data.
        """
        write_atomically(obj, filepath)

    def put_text(self,
                 obj: str,
                 filepath: Union[str, Path],
                 encoding: str = 'utf-8') -> None:
        """Write text to ``filepath`` atomically.

        Args:
            obj (str): Text to be written.
            filepath (str | Path): Path to write data.
            encoding (str): Text encoding. Defaults to ``'utf-8'``.
        """
        write_atomically(obj.encode(encoding), filepath)
