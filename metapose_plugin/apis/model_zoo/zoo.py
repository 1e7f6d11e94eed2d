"""Released weights by name: download once, verify, convert, cache.

``resolve_zoo_model('capf-w32_h36m')`` (or ``'zoo://capf-w32_h36m'``)
returns the entry's config and a converted checkpoint. The first call
downloads the reference's file (:mod:`.fetch`), converts it with the
entry's converter (:mod:`metapose_plugin.models.converters`), refuses
missing or unexpected keys against the model its config builds, and saves
the result under the torch hub cache
(``<torch.hub.get_dir()>/metapose_plugin/``), keyed by the download's URL
(and file or member) and the converter's version; later calls read it
without any network access. Each cache file is written under a file lock
and renamed into place, so processes fetching the same alias at once end
with one complete file, and a failure leaves no partial file.
"""
import hashlib
import inspect
import io
import os
import os.path as osp
import pickle
import shutil
import tempfile
import zipfile
from typing import Dict, NamedTuple, Optional, Tuple, Union

import torch
from filelock import FileLock
from mmengine.config import Config
from mmengine.hub import get_config
from mmengine.logging import print_log
from mmengine.registry import init_default_scope
from mmpose.registry import MODELS

from metapose_plugin.engine.fileio import write_atomically
from metapose_plugin.engine.runner import read_checkpoint
from metapose_plugin.models.converters.ckpt_convert import strip_prefix, unwrap_state_dict
from metapose_plugin.models.converters.ckpt_kinds import (checkpoint_converters,
                                                          converter_versions,
                                                          detect_checkpoint_kind,
                                                          load_reference_checkpoint)

from .fetch import (ZooDownloadError, download_file, drive_folder_files, extract_members,
                    is_drive_folder, sha256_of)
from .metafile import ZooEntry, find_entry, zoo_name

ConfigType = Union[str, Config]


class ZooModel(NamedTuple):
    """A resolved zoo entry.

    Attributes:
        entry (ZooEntry): Its metafile entry.
        config (str | Config): Config path (``mmpose::`` configs loaded).
        checkpoint (str): Converted checkpoint in the cache.
    """
    entry: ZooEntry
    config: ConfigType
    checkpoint: str


def cache_root() -> str:
    """``<torch.hub.get_dir()>/metapose_plugin`` (``$TORCH_HOME`` moves it)."""
    return osp.join(torch.hub.get_dir(), 'metapose_plugin')


def _key(*parts: Optional[str]) -> str:
    return hashlib.sha256('\n'.join(p or '' for p in parts).encode()).hexdigest()[:16]


def _what(entry: ZooEntry, url: Optional[str] = None) -> str:
    return f'model zoo: {entry.alias} ({url or entry.weights})'


def load_config(entry: ZooEntry) -> ConfigType:
    """The entry's config: a path, or the loaded ``mmpose::`` config."""
    return get_config(entry.config) if entry.config.startswith('mmpose::') else entry.config


def _download(entry: ZooEntry, url: str, folder: str, name: str, drive_id: Optional[str] = None,
              sha256: Optional[str] = None) -> str:
    """One file into ``folder/name`` under its lock, unless already there."""
    dest = osp.join(folder, name)
    os.makedirs(folder, exist_ok=True)
    with FileLock(dest + '.lock'):
        if not osp.isfile(dest):
            print_log(f'{_what(entry, url)}: downloading {name}', logger='current')
            download_file(url, dest, _what(entry, url), sha256, drive_id)
    return dest


def _archive_member(entry: ZooEntry) -> str:
    """The entry's member of a tar archive, extracted into the cache; the
    archive itself is deleted after extraction."""
    folder = osp.join(cache_root(), 'downloads', _key(entry.weights, entry.member))
    marker = osp.join(folder, '.complete')
    os.makedirs(folder, exist_ok=True)
    with FileLock(folder + '.lock'):
        if not osp.isfile(marker):
            scratch = tempfile.mkdtemp(dir=folder, prefix='.extract.')
            try:
                print_log(f'{_what(entry)}: downloading the archive for {entry.member}',
                          logger='current')
                archive = download_file(entry.weights, osp.join(scratch, 'archive.tar'),
                                        _what(entry), entry.sha256)
                for path in extract_members(archive, entry.member, osp.join(scratch, 'members'),
                                            _what(entry)):
                    target = osp.join(folder, osp.relpath(path, osp.join(scratch, 'members')))
                    os.makedirs(osp.dirname(target), exist_ok=True)
                    os.replace(path, target)
                write_atomically(b'', marker)
            finally:
                shutil.rmtree(scratch, ignore_errors=True)
    return osp.join(folder, entry.member)


#: File names of a Drive folder tried as checkpoints when ``File`` is not given.
CHECKPOINT_SUFFIXES = ('.pth', '.pt', '.bin', '.ckpt')


def _folder_file(entry: ZooEntry) -> str:
    """The file of a Drive folder: the one matching ``File``; without one,
    the only checkpoint (:data:`CHECKPOINT_SUFFIXES`) whose detected kind is
    the entry's converter."""
    what = _what(entry)
    files = drive_folder_files(entry.weights, entry.file or '*', what)
    folder = osp.join(cache_root(), 'downloads', _key(entry.weights))
    if entry.file or len(files) == 1:
        if len(files) > 1:
            raise ZooDownloadError(f'{what}: {entry.file!r} matches several files: '
                                   f'{[osp.basename(f.path) for f in files]}')
        return _download(entry, entry.weights, folder, osp.basename(files[0].path), files[0].id,
                         entry.sha256)
    matches = []
    for drive_file in files:
        if not drive_file.path.endswith(CHECKPOINT_SUFFIXES):
            continue
        path = _download(entry, entry.weights, folder, osp.basename(drive_file.path),
                         drive_file.id)
        keys = strip_prefix(unwrap_state_dict(_read_reference(entry, path)), 'module.')
        if detect_checkpoint_kind(keys) == entry.converter:
            matches.append(path)
    if len(matches) != 1:
        raise ZooDownloadError(
            f'{what}: {len(matches)} files of the folder are {entry.converter} checkpoints '
            f'({[osp.basename(m) for m in matches]}); name one with Converted From: File')
    return matches[0]


def reference_file(entry: ZooEntry) -> str:
    """Download (once) the entry's reference checkpoint; its local path (a
    TensorFlow prefix for TensorFlow checkpoints)."""
    if not entry.weights:
        raise ZooDownloadError(f'model zoo: {entry.alias}: no released checkpoint. {entry.note}')
    if entry.member:
        return _archive_member(entry)
    if is_drive_folder(entry.weights):
        return _folder_file(entry)
    if entry.file:
        name = osp.basename(entry.file)
    elif 'drive.google.com' in entry.weights:
        name = f'{entry.alias}.download'
    else:
        name = osp.basename(entry.weights.split('?')[0].rstrip('/')) or 'checkpoint'
    folder = osp.join(cache_root(), 'downloads', _key(entry.weights))
    return _download(entry, entry.weights, folder, name, sha256=entry.sha256)


def _read_reference(entry: ZooEntry, path: str) -> dict:
    """Load a downloaded reference checkpoint; an unreadable file is
    removed from the cache (the next call downloads it again)."""
    try:
        return load_reference_checkpoint(path)
    except (EOFError, RuntimeError, ValueError, pickle.UnpicklingError,
            zipfile.BadZipFile) as err:
        if osp.isfile(path):
            os.remove(path)
        raise ZooDownloadError(f'{_what(entry)}: the downloaded file is truncated or not a '
                               f'checkpoint ({type(err).__name__}: {err}); removed it from '
                               'the cache') from err


def build_model(config: ConfigType) -> torch.nn.Module:
    """The model of a config, on the CPU, uninitialised (its keys and shapes)."""
    cfg = config if isinstance(config, Config) else Config.fromfile(config)
    init_default_scope(cfg.get('default_scope', 'mmpose'))
    return MODELS.build(cfg.model)


def convert_reference(entry: ZooEntry, source: str) -> Dict[str, torch.Tensor]:
    """Convert a reference checkpoint with the entry's converter, checked
    against the model of its config (missing, unexpected or misshapen keys
    raise)."""
    checkpoint = _read_reference(entry, source)
    model = build_model(load_config(entry))
    expected = list(model.state_dict())
    converter = checkpoint_converters()[entry.converter]
    accepts_keys = 'expected_keys' in inspect.signature(converter).parameters
    try:
        state_dict = (converter(checkpoint, expected_keys=expected) if accepts_keys else
                      converter(checkpoint))[0]
    except KeyError as err:
        raise KeyError(f'{_what(entry)}: {err.args[0]}') from err
    if entry.merge:
        merged = read_checkpoint(resolve_zoo_model(entry.merge).checkpoint)
        state_dict = {**merged['state_dict'], **state_dict}
    try:
        missing, unexpected = model.load_state_dict(state_dict, strict=False)
    except RuntimeError as err:
        raise KeyError(f'{_what(entry)}: the converted weights do not fit {entry.config}: '
                       f'{err}') from err
    if missing or unexpected:
        raise KeyError(f'{_what(entry)}: the converted weights do not fit {entry.config}: '
                       f'missing keys {missing}, unexpected keys {unexpected}')
    return state_dict


def save_converted(entry: ZooEntry, state_dict: Dict[str, torch.Tensor], source: str,
                   dest: str) -> str:
    """Write a converted checkpoint (MMEngine layout) atomically."""
    buffer = io.BytesIO()
    source_sha = sha256_of(source) if osp.isfile(source) else None
    torch.save(dict(state_dict=state_dict,
                    meta=dict(zoo_alias=entry.alias, source_url=entry.weights,
                              source_sha256=source_sha, converter=entry.converter,
                              converter_version=converter_versions()[entry.converter])), buffer)
    write_atomically(buffer.getvalue(), dest)
    return dest


def converted_path(entry: ZooEntry) -> str:
    """Cache path of the entry's converted checkpoint (keyed by URL, file or
    member, and the converter's version)."""
    version = converter_versions()[entry.converter]
    key = _key(entry.weights, entry.file, entry.member, entry.merge,
               f'{entry.converter}-v{version}')
    return osp.join(cache_root(), 'converted', f'{entry.alias}-{key}.pth')


def resolve_zoo_model(name: str) -> ZooModel:
    """A zoo alias (or ``zoo://<alias>``, or a model name) -> config and
    converted checkpoint, downloading and converting on the first call."""
    entry = find_entry(name[len('zoo://'):] if name.startswith('zoo://') else name)
    if not entry.weights:
        raise ZooDownloadError(f'model zoo: {entry.alias}: no released checkpoint. {entry.note}')
    dest = converted_path(entry)
    os.makedirs(osp.dirname(dest), exist_ok=True)
    with FileLock(dest + '.lock'):
        if not osp.isfile(dest):
            source = reference_file(entry)
            print_log(f'{_what(entry)}: converting with {entry.converter!r}', logger='current')
            save_converted(entry, convert_reference(entry, source), source, dest)
    return ZooModel(entry, load_config(entry), dest)


def convert_local_file(name: str, path: str) -> str:
    """Convert a reference file downloaded by hand into the alias's cache
    slot (the alias then works offline)."""
    entry = find_entry(name)
    dest = converted_path(entry)
    os.makedirs(osp.dirname(dest), exist_ok=True)
    with FileLock(dest + '.lock'):
        save_converted(entry, convert_reference(entry, path), path, dest)
    return dest


def resolve_pose_models(
        pose3d: ConfigType, pose3d_weights: Optional[str], pose2d: Optional[ConfigType],
        pose2d_weights: Optional[str]
) -> Tuple[ConfigType, Optional[str], ConfigType, Optional[str]]:
    """Resolve zoo aliases among an inferencer's model arguments.

    ``pose3d`` as an alias gives its config and, unless ``pose3d_weights``
    is set, its converted weights; ``pose2d`` None gives the alias' 2D model
    (the HRNet whose features the lifter was trained on, converted into
    MMPose's top-down model) or MMPose's ``'human'``; ``pose2d`` may be an
    alias too.

    Returns:
        tuple: ``(pose3d, pose3d_weights, pose2d, pose2d_weights)``.
    """
    name = zoo_name(pose3d) if isinstance(pose3d, str) else None
    pose2d_alias = None
    if name is not None:
        lifter = resolve_zoo_model(name)
        pose3d, pose3d_weights = lifter.config, pose3d_weights or lifter.checkpoint
        pose2d_alias = lifter.entry.pose2d
    if pose2d is None:
        pose2d = pose2d_alias or 'human'
    name2d = zoo_name(pose2d) if isinstance(pose2d, str) else None
    if name2d is not None:
        model2d = resolve_zoo_model(name2d)
        pose2d, pose2d_weights = model2d.config, pose2d_weights or model2d.checkpoint
    return pose3d, pose3d_weights, pose2d, pose2d_weights
