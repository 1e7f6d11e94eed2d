"""Download a zoo entry's reference file into the cache, verified, never partial.

Google Drive links (files, and folders by their listing) go through
``gdown``, which handles Drive's confirmation handshake for large files;
other URLs through ``requests``. Every download lands in a temporary file
beside its destination and is renamed into place only after the checks
(HTTP status, length, not an HTML page, SHA256 where known); anything that
fails is deleted, so the cache never holds a partial file. Errors name the
alias and the URL.
"""
import fnmatch
import hashlib
import os
import os.path as osp
import re
import shutil
import tarfile
import tempfile
from typing import List, Optional

import gdown
import requests

_DRIVE_FILE = re.compile(r'https?://drive\.google\.com/(?:file/d/|open\?id=|uc\?(?:.*&)?id=)'
                         r'([\w-]+)')
_DRIVE_FOLDER = re.compile(r'https?://drive\.google\.com/drive/(?:u/\d+/)?folders/([\w-]+)')
_HTML_STARTS = (b'<!doctype html', b'<html', b'<head', b'<!--')
#: Seconds to wait for a server (connect, between bytes).
TIMEOUT = (30, 120)


class ZooDownloadError(RuntimeError):
    """A download failed its checks (the message names the alias and URL)."""


def sha256_of(path: str) -> str:
    """Hex SHA256 of a file."""
    digest = hashlib.sha256()
    with open(path, 'rb') as f:
        for block in iter(lambda: f.read(1 << 20), b''):
            digest.update(block)
    return digest.hexdigest()


def _check_not_html(path: str, what: str) -> None:
    with open(path, 'rb') as f:
        head = f.read(512).lstrip().lower()
    if head.startswith(_HTML_STARTS):
        raise ZooDownloadError(
            f'{what}: got an HTML page instead of a checkpoint (Google Drive\'s quota or '
            'sign-in page, or a moved link); download it in a browser and run '
            'python tools/model_zoo.py convert ALIAS FILE')


def _http_get(url: str, tmp: str, what: str) -> None:
    """Plain HTTP(S) download into ``tmp`` with status and length checks."""
    try:
        with requests.get(url, stream=True, timeout=TIMEOUT) as response:
            if response.status_code != 200:
                raise ZooDownloadError(
                    f'{what}: the server answered HTTP {response.status_code} '
                    f'{response.reason}')
            expected = response.headers.get('Content-Length')
            received = 0
            with open(tmp, 'wb') as f:
                for block in response.iter_content(1 << 20):
                    f.write(block)
                    received += len(block)
    except requests.exceptions.ChunkedEncodingError as err:  # the body ended early
        raise ZooDownloadError(f'{what}: truncated download ({err})') from err
    except requests.RequestException as err:
        raise ZooDownloadError(f'{what}: the download failed: {err}') from err
    if expected is not None and received != int(expected):
        raise ZooDownloadError(f'{what}: truncated download: {received} of {expected} bytes')


def _drive_get(file_id: str, tmp: str, what: str) -> None:
    try:
        gdown.download(id=file_id, output=tmp, quiet=True)
    except Exception as err:  # gdown raises its own and requests' errors
        raise ZooDownloadError(f'{what}: Google Drive refused the download ({err}); download '
                               'it in a browser and run python tools/model_zoo.py convert ALIAS '
                               'FILE') from err
    if not osp.isfile(tmp):
        raise ZooDownloadError(f'{what}: Google Drive returned no file')


def download_file(url: str, dest: str, what: str, sha256: Optional[str] = None,
                  drive_id: Optional[str] = None) -> str:
    """Download ``url`` to ``dest`` (atomically; nothing left on failure).

    Args:
        url (str): The URL (a Drive file link goes through gdown).
        dest (str): Destination file; its folder is created.
        what (str): ``'<alias> (<url>)'`` for the messages.
        sha256 (str, optional): Expected hex checksum. Defaults to None.
        drive_id (str, optional): Drive file id (files found in a folder
            listing). Defaults to the id in ``url``.

    Returns:
        str: ``dest``.
    """
    os.makedirs(osp.dirname(dest), exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=osp.dirname(dest), prefix=f'.{osp.basename(dest)}.',
                               suffix='.part')
    os.close(fd)
    try:
        drive = _DRIVE_FILE.match(url)
        if drive_id or drive:
            _drive_get(drive_id or drive.group(1), tmp, what)
        else:
            _http_get(url, tmp, what)
        _check_not_html(tmp, what)
        if sha256 and sha256_of(tmp) != sha256.lower():
            raise ZooDownloadError(f'{what}: checksum mismatch: SHA256 {sha256_of(tmp)}, '
                                   f'expected {sha256}')
        os.replace(tmp, dest)
    finally:
        if osp.exists(tmp):
            os.remove(tmp)
    return dest


def drive_folder_files(url: str, pattern: str, what: str) -> list:
    """The files of a Drive folder whose name matches ``pattern`` (a glob):
    gdown's listing entries (``id``, ``path``)."""
    folder = _DRIVE_FOLDER.match(url)
    if folder is None:
        raise ZooDownloadError(f'{what}: not a Google Drive folder link')
    try:
        listing = gdown.download_folder(id=folder.group(1), skip_download=True, quiet=True)
    except Exception as err:
        raise ZooDownloadError(f'{what}: cannot list the Google Drive folder ({err})') from err
    files = [f for f in listing if fnmatch.fnmatch(osp.basename(f.path), pattern)]
    if not files:
        names = [osp.basename(f.path) for f in listing]
        raise ZooDownloadError(f'{what}: no file matching {pattern!r} in the folder (it has '
                               f'{names})')
    return files


def extract_members(archive: str, member: str, dest_dir: str, what: str) -> List[str]:
    """Extract the tar members named ``member`` or ``member.<suffix>`` (a
    TensorFlow checkpoint's files), under any leading folder, into
    ``dest_dir/member*``.

    Returns:
        list[str]: Extracted file paths.
    """
    extracted = []
    try:
        with tarfile.open(archive) as tar:
            for info in tar:
                name = info.name.lstrip('./')
                start = name.find(member)
                rest = name[start + len(member):] if start >= 0 else None
                if (not info.isfile() or start < 0 or (start and name[start - 1] != '/')
                        or (rest and (not rest.startswith('.') or '/' in rest))):
                    continue
                target = osp.join(dest_dir, member + rest)
                os.makedirs(osp.dirname(target), exist_ok=True)
                with tar.extractfile(info) as src, open(target, 'wb') as dst:
                    shutil.copyfileobj(src, dst)
                extracted.append(target)
    except (tarfile.TarError, EOFError, OSError) as err:
        raise ZooDownloadError(f'{what}: not a complete tar archive ({err})') from err
    if not extracted:
        raise ZooDownloadError(f'{what}: the archive has no member {member!r}')
    return extracted


def is_drive_folder(url: str) -> bool:
    """Whether ``url`` is a Google Drive folder link."""
    return _DRIVE_FOLDER.match(url) is not None
