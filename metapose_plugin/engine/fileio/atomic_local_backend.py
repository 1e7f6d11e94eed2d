"""Local file backend whose writes are atomic.

MMEngine's ``LocalBackend.put`` opens the target with ``'wb'`` and writes into
it, so a crash while a checkpoint is being written leaves a truncated file
under the final name. ``AtomicLocalBackend`` writes into a temporary file in
the same folder, flushes it to disk and renames it over the target with
``os.replace`` (atomic on POSIX and Windows within one file system): readers
see either the old file or the complete new one.
"""
import os
import os.path as osp
import tempfile
from pathlib import Path
from typing import Union

from mmengine.fileio import LocalBackend, register_backend


def write_atomically(data: bytes, filepath: Union[str, Path]) -> None:
    """Write ``data`` to ``filepath`` through a temporary file and a rename.

    Args:
        data (bytes): The whole content of the file.
        filepath (str | Path): Destination; its folder is created if missing.
    """
    folder = osp.dirname(osp.abspath(filepath))
    os.makedirs(folder, exist_ok=True)
    fd, tmp_path = tempfile.mkstemp(
        dir=folder, prefix=f'.{osp.basename(filepath)}.', suffix='.tmp')
    try:
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


@register_backend('AtomicLocalBackend')
class AtomicLocalBackend(LocalBackend):
    """``LocalBackend`` with crash-safe ``put`` and ``put_text``.

    Select it for checkpoints with
    ``default_hooks.checkpoint.backend_args=dict(backend='AtomicLocalBackend')``
    (``configs/_base_/default_runtime.py`` does). Every other operation
    (read, remove, list) is the plain local one.
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
