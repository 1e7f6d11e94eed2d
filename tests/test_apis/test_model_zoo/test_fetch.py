"""Google Drive downloads through gdown (its API replaced by the local server:
Drive itself is never reached) and the sequence methods' releases: MPM's
checkpoint folder (lifter, refine + lifter, pretraining), FinePOSE's file."""
import collections
import json
import os.path as osp

import gdown
import pytest
import torch
from mmengine.config import Config
from mmpose.registry import MODELS

from metapose_plugin.apis.model_zoo import ZooDownloadError, resolve_zoo_model
from metapose_plugin.models.converters.ckpt_kinds import checkpoint_converters
from metapose_plugin.models.converters.mpm_ckpt_convert import (lifter_geometry,
                                                                pretrain_geometry,
                                                                refine_geometry)
from metapose_plugin.testing import shared_fixture_dir

from ..conftest import REPO
from .conftest import saved, zoo_model

#: An entry of gdown's folder listing (``download_folder(skip_download=True)``).
DriveFile = collections.namedtuple('DriveFile', ('id', 'path', 'local_path'))
FOLDER_ID, FILE_ID = 'mpmFolder123', 'fineposeFile456'
FOLDER_URL = f'https://drive.google.com/drive/folders/{FOLDER_ID}?usp=drive_link'
FILE_URL = f'https://drive.google.com/file/d/{FILE_ID}/view?usp=sharing'
MPM_CONFIGS = osp.join(REPO, 'configs', 'mpm')


@pytest.fixture
def drive(server, monkeypatch):
    """gdown's download and folder listing served by the local server:
    Drive file ``id`` is ``/drive/<id>``, folder ``id`` lists ``folders[id]``."""
    folders, calls = {}, []

    def download(id=None, output=None, quiet=False, **kwargs):
        calls.append(('file', id))
        import requests
        response = requests.get(server.url(f'/drive/{id}'), timeout=30)
        if response.status_code != 200:
            raise gdown.exceptions.FileURLRetrievalError(f'cannot retrieve {id}')
        with open(output, 'wb') as f:
            f.write(response.content)
        return output

    def download_folder(id=None, skip_download=False, quiet=False, **kwargs):
        calls.append(('folder', id))
        assert skip_download
        return [DriveFile(id=file_id, path=name, local_path=name)
                for name, file_id in folders[id].items()]

    monkeypatch.setattr(gdown, 'download', download)
    monkeypatch.setattr(gdown, 'download_folder', download_folder)
    return dict(folders=folders, calls=calls)


def _randomised(state_dict: dict, seed: int) -> dict:
    """The same keys and shapes with seeded random values (reference layout,
    weights made here)."""
    generator = torch.Generator().manual_seed(seed)
    return {k: torch.randn(v.shape, generator=generator) if v.is_floating_point() else v
            for k, v in state_dict.items()}


def _config(path: str, base: str, **model) -> str:
    """A config inheriting ``base`` with the model geometry of a checkpoint."""
    with open(path, 'w') as f:
        f.write(f'_base_ = [{osp.join(MPM_CONFIGS, base)!r}]\nmodel = {model!r}\n')
    return path


@pytest.fixture
def mpm_release(server, drive, zoo_home, tmp_path):
    """MPM's folder: a lifter, its refine module and a pretraining model in
    the reference's layout (the parity fixture's geometry, random weights)."""
    weights = torch.load(shared_fixture_dir('mpm_parity') / 'weights.pt',
                         weights_only=True)['weights']
    files = {'x.pth': _randomised(weights['lifter_f9_j17'], 1),
             'x_refine.pth': _randomised(weights['refine'], 2),
             'pretrain_h36m.pth': _randomised(weights['pretrain_MPMmask2'], 3),
             'README.txt': None}
    drive['folders'][FOLDER_ID] = {}
    for index, (name, state) in enumerate(files.items()):
        file_id = f'f{index}'
        drive['folders'][FOLDER_ID][name] = file_id
        server.files[f'/drive/{file_id}'] = (
            b'notes' if state is None else saved({'module.' + k: v for k, v in state.items()}))
    lift = lifter_geometry(files['x.pth'])
    lift_model = dict(backbone=dict(init_cfg=None, **lift['encoder']), head=lift['head'])
    pre = pretrain_geometry(files['pretrain_h36m.pth'])
    refine_hidden = refine_geometry(files['x_refine.pth'])['hidden_dims']
    refine_base = 'mpm-lift-refine-ref_c256-l4-243frm-tds2-cpn_1xb256-20e_h36m-videopose3d.py'
    configs = dict(
        lift=_config(str(tmp_path / 'mpm-lift_test.py'),
                     'mpm-lift_tiny-27frm-tds2_1xb32-2e_h36m-videopose3d-sample.py',
                     **lift_model),
        refine=_config(str(tmp_path / 'mpm-lift-refine_test.py'), refine_base,
                       refine=dict(hidden_dims=refine_hidden),
                       **lift_model),
        pretrain=_config(str(tmp_path / 'mpm-pretrain_test.py'),
                         'mpm-pretrain-ref_c256-l4-243frm-tds2-cpn_1xb512-50e_h36m-videopose3d.py',
                         backbone=pre['encoder'], head=pre['head']))
    zoo_home([zoo_model('mpm-lift', configs['lift'], FOLDER_URL, 'mpm_lifter'),
              zoo_model('mpm-refine', configs['refine'], FOLDER_URL, 'mpm_refine',
                        File='*refine*', Merge='mpm-lift'),
              zoo_model('mpm-pretrain', configs['pretrain'], FOLDER_URL, 'mpm_pretrain')])
    return dict(files=files, configs=configs)


def _manual(kind: str, state: dict) -> dict:
    return checkpoint_converters()[kind]({'module.' + k: v for k, v in state.items()})[0]


def _assert_same(state: dict, expected: dict) -> None:
    assert state.keys() == expected.keys()
    assert all(torch.equal(state[k], expected[k]) for k in expected)


def test_mpm_folder_files_by_kind_and_name(mpm_release, drive, server):
    files = mpm_release['files']
    for alias, kind, name in (('mpm-lift', 'mpm_lifter', 'x.pth'),
                              ('mpm-pretrain', 'mpm_pretrain', 'pretrain_h36m.pth')):
        state = torch.load(resolve_zoo_model(alias).checkpoint, weights_only=False)['state_dict']
        _assert_same(state, _manual(kind, files[name]))
    refine = resolve_zoo_model('mpm-refine')
    state = torch.load(refine.checkpoint, weights_only=False)['state_dict']
    _assert_same(state, {**_manual('mpm_lifter', files['x.pth']),
                         **_manual('mpm_refine', files['x_refine.pth'])})
    model = MODELS.build(Config.fromfile(mpm_release['configs']['refine']).model)
    model.load_state_dict(state, strict=True)
    # every file of the folder was fetched once, by its Drive id
    assert all(count == 1 for count in server.requests.values())
    assert ('folder', FOLDER_ID) in drive['calls']


def test_mpm_folder_ambiguity_is_reported(mpm_release, drive, server):
    drive['folders'][FOLDER_ID]['x_copy.pth'] = 'f9'
    server.files['/drive/f9'] = server.files['/drive/f0']
    with pytest.raises(ZooDownloadError, match=r"2 files of the folder are mpm_lifter "
                                               r"checkpoints \(\['x.pth', 'x_copy.pth'\]\)"):
        resolve_zoo_model('mpm-lift')


def test_finepose_drive_file(server, drive, zoo_home, tmp_path):
    from metapose_plugin.parity.finepose import load_fixture_weights, model_cfg
    fixture = shared_fixture_dir('finepose_parity')
    io = torch.load(fixture / 'io.pt', weights_only=True)
    settings = json.loads(io['meta/config_json'])
    weights = load_fixture_weights(str(fixture / 'weights_fp16.pt'), settings['clip_vocab'])
    reference = dict(epoch=20, model_pos={'module.' + k: v
                                          for k, v in _randomised(weights, 4).items()})
    server.files[f'/drive/{FILE_ID}'] = saved(reference)
    config = str(tmp_path / 'finepose_test.py')
    Config(dict(model=model_cfg(settings, weights, io))).dump(config)
    zoo_home([zoo_model('finepose-test', config, FILE_URL, 'finepose')])
    state = torch.load(resolve_zoo_model('finepose-test').checkpoint,
                       weights_only=False)['state_dict']
    _assert_same(state, checkpoint_converters()['finepose'](reference)[0])
    assert drive['calls'] == [('file', FILE_ID)]


def test_drive_refusal_names_alias_and_url(server, drive, zoo_home):
    zoo_home([zoo_model('gone', osp.join(MPM_CONFIGS, 'mpm-lift_tiny-27frm-tds2_1xb32-2e_'
                                         'h36m-videopose3d-sample.py'), FILE_URL, 'mpm_lifter')])
    with pytest.raises(ZooDownloadError, match=r'gone \(https://drive\.google\.com/file/d/'
                                               r'fineposeFile456.*Google Drive refused'):
        resolve_zoo_model('gone')
