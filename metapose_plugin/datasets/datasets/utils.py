"""Helpers shared by the plugin's datasets."""
import hashlib
import io
import logging
import os.path as osp
import pickle
import time
from typing import Any, Callable, Optional, Sequence

from mmengine.dist import get_rank
from mmengine.logging import print_log

from metapose_plugin.engine.fileio import write_atomically


def join_data_root(path: Optional[str], data_root: str) -> Optional[str]:
    """``path`` under ``data_root`` unless it is absolute (or either is empty).

    The one rule every dataset of the plugin applies to each file option
    (``ann_file``, 2D detections, cameras, caches, ...), as MMEngine's
    ``BaseDataset`` applies it to ``ann_file``. None stays None.
    """
    if path is None or not data_root or osp.isabs(path):
        return path
    return osp.join(data_root, path)


def content_key(settings: dict, files: Sequence[Optional[str]]) -> str:
    """SHA-256 of the settings (their ``repr``, keys sorted) and of the
    contents of ``files`` (None entries skipped): the identity of a build
    from those inputs."""
    digest = hashlib.sha256(repr(sorted(settings.items())).encode())
    for path in files:
        if path is None:
            continue
        digest.update(path.encode())
        with open(path, 'rb') as file:
            for block in iter(lambda: file.read(1 << 22), b''):
                digest.update(block)
    return digest.hexdigest()


def load_or_build_cached(path: str, key: str, build: Callable[[], Any],
                         poll_seconds: float = 2.0) -> Any:
    """What ``build()`` returns, read from the cache file ``path`` when it was
    written for ``key``.

    One writer: rank 0 builds and writes (atomically: a temporary file
    renamed over ``path``, so a crash never leaves a partial cache); every
    other rank waits until ``path`` holds ``key`` and reads it. The file is a
    pickle of the key followed by a pickle of the value, so the key is read
    without loading the value. A cache for another key is rebuilt (logged).
    """
    if get_rank() != 0:
        logged = False
        while _cached_key(path) != key:
            if not logged:
                print_log(f'waiting for rank 0 to write {path}', logger='current')
                logged = True
            time.sleep(poll_seconds)
        return _read_cached(path)
    stored = _cached_key(path)
    if stored == key:
        return _read_cached(path)
    if stored is not None:
        print_log(f'{path}: built from other settings or input files; rebuilding',
                  logger='current', level=logging.WARNING)
    value = build()
    buffer = io.BytesIO()
    pickle.dump(key, buffer)
    pickle.dump(value, buffer, protocol=pickle.HIGHEST_PROTOCOL)
    write_atomically(buffer.getvalue(), path)
    return value


def _cached_key(path: str) -> Optional[str]:
    if not osp.exists(path):
        return None
    try:
        with open(path, 'rb') as file:
            key = pickle.load(file)
    except (pickle.UnpicklingError, EOFError, ValueError) as err:
        raise ValueError(f'{path}: not a cache file of this plugin ({err}); delete it') from err
    return key if isinstance(key, str) else None


def _read_cached(path: str) -> Any:
    with open(path, 'rb') as file:
        pickle.load(file)
        return pickle.load(file)
