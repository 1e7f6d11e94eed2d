"""Read a file, or raise an error that names it and what was expected.

Libraries report a truncated or foreign file in their own words and without
the file's name (``zipfile.BadZipFile: File is not a zip file``, ``OSError:
could not read bytes``, ``PytorchStreamReader failed reading zip archive``,
``KeyError: "filename 'storages' not found"``). Every reader of the plugin
(npz, pickle, MAT/HDF5, checkpoints, videos, 2D keypoint files) opens its
file through :func:`read_or_raise`, so that such a file always stops the run
with :class:`UnreadableFileError` naming the file, the kind of file expected
and the library's own message.
"""
import os.path as osp
import pickle
from typing import Any, Callable, Dict, List, TypeVar

import mmcv
import numpy as np

T = TypeVar('T')


class UnreadableFileError(ValueError):
    """A file exists but cannot be read as the kind of file expected
    (truncated, corrupt, or another format)."""


def read_or_raise(path: str, read: Callable[[str], T], expected: str) -> T:
    """``read(path)``, with any failure of the library turned into an error
    naming ``path`` and ``expected``.

    ``read`` should only call the library (and materialise what it reads);
    checks of the content belong after this call, with their own messages.

    Args:
        path (str): The file (a local path; URLs are passed to ``read`` as
            they are).
        read (Callable[[str], T]): Reads the whole file, e.g.
            ``lambda p: torch.load(p, map_location='cpu')``.
        expected (str): What the file should be, for the message, e.g.
            ``"VideoPose3D's data_3d_h36m.npz"``.

    Returns:
        T: What ``read`` returns.

    Raises:
        FileNotFoundError: A local ``path`` that does not exist.
        UnreadableFileError: ``read`` raised; the cause is chained.
    """
    if '://' not in str(path) and not osp.isfile(path):
        raise FileNotFoundError(f'{path}: no such file (expected {expected})')
    try:
        return read(path)
    except Exception as error:  # whatever the library raises for a bad file
        raise UnreadableFileError(
            f'{path}: cannot be read as {expected} ({type(error).__name__}: '
            f'{error}); the file is truncated, corrupt or of another '
            'format') from error


def load_npz(path: str, expected: str,
             allow_pickle: bool = False) -> Dict[str, np.ndarray]:
    """Every field of an ``.npz``, read now.

    ``np.load`` of an npz is lazy: a damaged member would only fail when it is
    accessed, far from here. Reading every field at once makes any damage an
    error of this call.

    Args:
        path (str): The ``.npz`` file.
        expected (str): What the file should be (for the message).
        allow_pickle (bool): Allow pickled object arrays (VideoPose3D's and
            P-STMO's dict fields). Defaults to False.

    Returns:
        dict: field name -> array.

    Raises:
        FileNotFoundError, UnreadableFileError: See :func:`read_or_raise`
            (also for an ``.npy`` file, which holds no fields).
    """

    def read(file: str) -> Dict[str, np.ndarray]:
        with np.load(file, allow_pickle=allow_pickle) as archive:
            return {name: archive[name] for name in archive.files}

    return read_or_raise(path, read, expected)


def npz_fields(path: str, expected: str) -> List[str]:
    """The field names of an ``.npz`` (its directory only, no data read).

    Raises:
        FileNotFoundError, UnreadableFileError: See :func:`read_or_raise`.
    """

    def read(file: str) -> List[str]:
        with np.load(file, allow_pickle=True) as archive:
            return list(archive.files)

    return read_or_raise(path, read, expected)


def load_npy(path: str, expected: str) -> np.ndarray:
    """The array of an ``.npy`` file (no pickled objects).

    Raises:
        FileNotFoundError, UnreadableFileError: See :func:`read_or_raise`
            (also for an ``.npz`` file).
    """

    def read(file: str) -> np.ndarray:
        array = np.load(file, allow_pickle=False)
        if not isinstance(array, np.ndarray):
            array.close()
            raise TypeError('an npz archive, not an .npy array')
        return array

    return read_or_raise(path, read, expected)


def load_pickle(path: str, expected: str) -> Any:
    """The object pickled in ``path``.

    Raises:
        FileNotFoundError, UnreadableFileError: See :func:`read_or_raise`.
    """

    def read(file: str) -> Any:
        with open(file, 'rb') as handle:
            return pickle.load(handle)

    return read_or_raise(path, read, expected)


def open_video(path: str) -> mmcv.VideoReader:
    """Open a video with mmcv's ``VideoReader`` (OpenCV), checking that it
    has frames and that the first one decodes.

    Raises:
        FileNotFoundError, UnreadableFileError: See :func:`read_or_raise`.
    """

    def read(file: str) -> mmcv.VideoReader:
        video = mmcv.VideoReader(file)
        if video.frame_cnt <= 0 or video.width <= 0 or video.get_frame(0) is None:
            raise ValueError(f'{video.frame_cnt} frames of {video.width} x {video.height} '
                             'pixels, the first one not decodable')
        return video

    return read_or_raise(path, read, 'a video that OpenCV can decode')
