"""Every config resolves, and every path it reads exists or is documented.

A path is any string value under a key that names a file or folder
(:data:`PATH_KEYS`). Each must be one of:

* a file or folder of this repository (the shipped samples, other configs);
* under a dataset root the README documents (:data:`DATASET_ROOTS`), the
  real data users prepare themselves;
* a checkpoint in the ``work_dirs/<config name>/`` of a config of this
  repository (a chained run, e.g. MPM pretraining -> lift);
* package data (``metapose_plugin::<name>``) that exists in the package, or
  a Hugging Face hub name (``owner/model``, no such local folder);
* empty / None.
"""
import glob
import os.path as osp
import re
from typing import Iterator, Tuple

import pytest
from mmengine.config import Config

from metapose_plugin.datasets.datasets.utils import join_data_root
from metapose_plugin.models.language_models.clip_text_loading import (PACKAGE_DATA_PREFIX,
                                                                      resolve_package_data)

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIGS = sorted(p for p in glob.glob(osp.join(ROOT, 'configs', '*', '*.py'))
                 if '/_base_/' not in p)
PATH_KEYS = {
    'data_root', 'ann_file', 'keypoint_2d_file', 'keypoint_2d_det_file', 'camera_param_file',
    'mono3d_file', 'mixture_file', 'cache_file', 'annot_root', 'img', 'load_from', 'checkpoint',
    'config', 'pretrain_config', 'tokenizer_name_or_path', 'model_name_or_path', 'outfile_prefix'
}
#: Dataset roots the data preparation sections of README.md / docs/ document.
DATASET_ROOTS = ('data/h36m/', 'data/h36m_capf/', 'data/h36m_videopose3d/', 'data/mpi_inf_3dhp/')
#: The top-level config keys MMEngine's Runner reads (template variables are
#: checked where a dataset or model uses them).
RUNNER_KEYS = ('model', 'train_dataloader', 'val_dataloader', 'test_dataloader', 'val_evaluator',
               'test_evaluator', 'load_from', 'default_hooks', 'custom_hooks', 'visualizer',
               'work_dir')
#: Options a dataset joins to its ``data_root`` (``join_data_root``).
FILE_OPTIONS = {'ann_file', 'keypoint_2d_file', 'keypoint_2d_det_file', 'camera_param_file',
                'mono3d_file', 'mixture_file', 'cache_file', 'annot_root', 'img'}
HUB_NAME = re.compile(r'^[\w.-]+/[\w.-]+$')


def string_values(node, key: str = '', data_root: str = '', owner: dict = None
                  ) -> Iterator[Tuple[str, str, dict]]:
    """(key, path, the dict holding it) of every string, with file options
    joined to the ``data_root`` of their dataset (as the datasets join them)."""
    if isinstance(node, dict):
        root = node.get('data_root', data_root) or ''
        for k, v in node.items():
            yield from string_values(v, str(k), data_root if k == 'data_root' else root, node)
    elif isinstance(node, (list, tuple)):
        for v in node:
            yield from string_values(v, key, data_root, owner)
    elif isinstance(node, str):
        joined = join_data_root(node, data_root) if key in FILE_OPTIONS else node
        yield key, joined, owner or {}


def repo_relative(path: str) -> str:
    return osp.relpath(osp.normpath(path if osp.isabs(path) else osp.join(ROOT, path)), ROOT)


def classify(key: str, value: str, owner: dict = None) -> str:
    """Why ``value`` is an acceptable path, or '' when it is not."""
    if (owner or {}).get('type') == 'PretrainedFromRun' and key == 'checkpoint':
        return 'a run of ' + owner['config'] if osp.isfile(owner['config']) else ''
    if re.match(r'^https?://', value):
        return 'download URL'
    if value.startswith(PACKAGE_DATA_PREFIX):
        try:
            return 'package data' if resolve_package_data(value) else ''
        except FileNotFoundError:
            return ''
    rel = repo_relative(value)
    if osp.exists(osp.join(ROOT, rel)):
        return 'in the repository'
    if any((rel + '/').startswith(root) for root in DATASET_ROOTS):
        return 'documented dataset'
    parts = rel.split('/')
    if parts[0] == 'work_dirs' and len(parts) >= 3:
        producers = glob.glob(osp.join(ROOT, 'configs', '*', parts[1] + '.py'))
        return 'a run of ' + producers[0] if producers else ''
    if key in ('model_name_or_path', 'tokenizer_name_or_path') and HUB_NAME.match(value):
        return 'hub name'
    if key == 'outfile_prefix':
        return 'output'
    return ''


def test_the_dataset_roots_are_documented():
    docs = ''.join(open(p).read() for p in [osp.join(ROOT, 'README.md'),
                                            *glob.glob(osp.join(ROOT, 'docs', '*.md'))])
    for root in DATASET_ROOTS:
        assert root in docs, f'{root} is documented nowhere in README.md or docs/'


def test_classify_refuses_what_is_missing():
    assert classify('ann_file', 'data/h36m/h36m_train.pkl') == 'documented dataset'
    assert classify('ann_file', 'data/nowhere/train.pkl') == ''
    assert classify('checkpoint', 'work_dirs/no-such-config/epoch_1.pth') == ''
    assert classify('tokenizer_name_or_path', 'metapose_plugin::no_such_tokenizer') == ''
    assert classify('load_from', osp.join(ROOT, 'configs', 'nowhere.pth')) == ''
    run = dict(type='PretrainedFromRun', config=osp.join(ROOT, 'configs', 'no.py'))
    assert classify('checkpoint', 'epoch_1.pth', run) == ''


@pytest.mark.parametrize('path', CONFIGS, ids=[osp.basename(p) for p in CONFIGS])
def test_every_path_a_config_reads_exists_or_is_documented(path):
    cfg = Config.fromfile(path)
    bad = []
    consumed = {k: v for k, v in cfg.to_dict().items() if k in RUNNER_KEYS}
    for key, value, owner in string_values(consumed):
        if key not in PATH_KEYS or not value:
            continue
        if not classify(key, value, owner):
            bad.append(f'{key}={value!r}')
    assert not bad, f'{osp.basename(path)} reads missing, undocumented paths: {bad}'
