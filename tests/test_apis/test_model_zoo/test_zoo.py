"""The model zoo end to end against a local reference server (127.0.0.1):
alias -> download -> verify -> convert -> cache, the inferencer and the tools."""
import hashlib
import importlib.util
import os
import os.path as osp
import subprocess
import sys
from argparse import Namespace

import cv2
import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmpose.registry import MODELS

from metapose_plugin.apis import MetaPose3DInferencer
from metapose_plugin.apis.model_zoo import (ZooDownloadError, cache_root, convert_local_file,
                                            resolve_zoo_model)
from metapose_plugin.models.converters.ckpt_kinds import checkpoint_converters

from ..conftest import CAPF_TINY, REPO, VIDEO, tiny_pose2d_config
from .conftest import capf_reference_checkpoint, hrnet_original_checkpoint, saved, zoo_model

CAPF_PATH, HRNET_PATH = '/capf/best_epoch.bin', '/hrnet/pose_hrnet_w32_256x192.pth'


@pytest.fixture
def image_zoo(server, zoo_home, tmp_path):
    """A tiny CA-PF release (lifter with the HRNet it was trained on) and
    that HRNet in the original repository's layout, served and indexed."""
    torch.manual_seed(0)
    pose2d_cfg = tiny_pose2d_config()
    pose2d_config = str(tmp_path / 'td-hm_tiny-hrnet_coco-256x192.py')
    pose2d_cfg.dump(pose2d_config)
    state_2d = MODELS.build(pose2d_cfg.model).state_dict()
    lifter = MODELS.build(Config.fromfile(CAPF_TINY).model).state_dict()
    state_3d = {k: state_2d[k] if k.startswith('backbone.') else v for k, v in lifter.items()}
    references = dict(capf=capf_reference_checkpoint(state_3d),
                      hrnet=hrnet_original_checkpoint(state_2d))
    server.files[CAPF_PATH] = saved(references['capf'])
    server.files[HRNET_PATH] = saved(references['hrnet'])
    capf = zoo_model('capf-tiny', CAPF_TINY, server.url(CAPF_PATH), 'capf')
    capf['Metadata']['2D Model'] = 'hrnet-tiny'
    zoo_home([capf, zoo_model('hrnet-tiny', pose2d_config, server.url(HRNET_PATH),
                              'hrnet_topdown')])
    return dict(server=server, references=references, pose2d_config=pose2d_config)


def _predictions(inferencer, frames: int = 2):
    """2D and 3D of the person in the demo video's first frames."""
    capture = cv2.VideoCapture(VIDEO)
    images = [capture.read()[1] for _ in range(frames)]
    capture.release()
    results = [r['predictions'][0] for r in inferencer(images)]
    return [(np.array(p[0]['keypoints_2d']), np.array(p[0]['keypoints_3d'])) for p in results]


def test_alias_equals_manual_conversion_and_is_cached(image_zoo, tmp_path):
    server, references = image_zoo['server'], image_zoo['references']
    zoo = MetaPose3DInferencer(pose3d='capf-tiny', det_model='whole_image', device='cpu')
    # the 2D model came with the alias: the lifter reuses its HRNet features
    assert zoo.feature_reuse, zoo.feature_reuse_reason
    assert server.requests == {CAPF_PATH: 1, HRNET_PATH: 1}

    manual = {}
    for kind, name in (('capf', 'capf'), ('hrnet_topdown', 'hrnet')):
        reference = references[name]
        manual[kind] = str(tmp_path / f'{kind}.pth')
        torch.save(dict(state_dict=checkpoint_converters()[kind](reference)[0]), manual[kind])
    by_hand = MetaPose3DInferencer(pose3d=CAPF_TINY, pose3d_weights=manual['capf'],
                                   pose2d=image_zoo['pose2d_config'],
                                   pose2d_weights=manual['hrnet_topdown'],
                                   det_model='whole_image', device='cpu')
    expected = _predictions(by_hand)
    for (zoo_2d, zoo_3d), (hand_2d, hand_3d) in zip(_predictions(zoo), expected):
        np.testing.assert_allclose(zoo_2d, hand_2d, rtol=1e-6)
        np.testing.assert_allclose(zoo_3d, hand_3d, rtol=1e-5, atol=1e-6)

    # second use: the cache, no request; ``zoo://`` names the same entry
    again = MetaPose3DInferencer(pose3d='zoo://capf-tiny', det_model='whole_image',
                                 device='cpu')
    assert server.requests == {CAPF_PATH: 1, HRNET_PATH: 1}
    assert again.feature_reuse
    meta = torch.load(resolve_zoo_model('capf-tiny').checkpoint, weights_only=False)['meta']
    assert meta['source_sha256'] == hashlib.sha256(server.files[CAPF_PATH]).hexdigest()
    assert meta['converter'] == 'capf' and meta['converter_version'] == 1
    assert resolve_zoo_model('capf-tiny').checkpoint.startswith(
        osp.join(os.environ['TORCH_HOME'], 'hub', 'metapose_plugin'))


def _cache_files():
    return [osp.join(d, f) for d, _, files in os.walk(cache_root()) for f in files
            if not f.endswith('.lock')]


@pytest.mark.parametrize('fault,message', [
    ('missing', 'HTTP 404'),
    ('short', 'truncated download'),
    ('truncated', 'truncated or not a checkpoint'),
    ('html', 'HTML page instead of a checkpoint'),
    ('checksum', 'checksum mismatch'),
])
def test_bad_downloads_fail_clearly_and_leave_nothing(image_zoo, zoo_home, fault, message):
    server = image_zoo['server']
    entry = zoo_model('capf-tiny', CAPF_TINY, server.url(CAPF_PATH), 'capf')
    if fault == 'missing':
        entry['Weights'] = server.url('/capf/moved.bin')
    elif fault == 'short':
        server.short.add(CAPF_PATH)
    elif fault == 'truncated':
        server.files[CAPF_PATH] = server.files[CAPF_PATH][:len(server.files[CAPF_PATH]) // 2]
    elif fault == 'html':
        server.html.add(CAPF_PATH)
    else:
        entry['Converted From']['SHA256'] = '0' * 64
    zoo_home([entry])
    with pytest.raises(ZooDownloadError) as error:
        resolve_zoo_model('capf-tiny')
    assert message in str(error.value)
    assert 'capf-tiny' in str(error.value) and entry['Weights'] in str(error.value)
    assert _cache_files() == []


def test_checksum_match_is_accepted(image_zoo, zoo_home):
    server = image_zoo['server']
    entry = zoo_model('capf-tiny', CAPF_TINY, server.url(CAPF_PATH), 'capf',
                      SHA256=hashlib.sha256(server.files[CAPF_PATH]).hexdigest())
    zoo_home([entry])
    assert osp.isfile(resolve_zoo_model('capf-tiny').checkpoint)


def test_wrong_converter_or_config_is_refused(image_zoo, zoo_home):
    server = image_zoo['server']
    zoo_home([zoo_model('capf-tiny', image_zoo['pose2d_config'], server.url(CAPF_PATH),
                        'capf')])
    with pytest.raises(KeyError, match=r'capf-tiny .*(missing keys|do not fit)'):
        resolve_zoo_model('capf-tiny')
    assert _cache_files() and not any('converted' in f for f in _cache_files())


def test_unknown_alias_and_unreleased_weights(image_zoo, zoo_home):
    entry = zoo_model('none-tiny', CAPF_TINY, None, 'capf', Note='No checkpoint is released.')
    zoo_home([entry])
    with pytest.raises(KeyError, match="unknown model 'nothing'.*none-tiny"):
        resolve_zoo_model('nothing')
    with pytest.raises(ZooDownloadError, match='no released checkpoint. No checkpoint is'):
        resolve_zoo_model('none-tiny')


def test_two_processes_fetch_one_file(image_zoo):
    """Two processes resolve the alias at once while the server is slow: one
    downloads and converts, the other waits for its file."""
    server = image_zoo['server']
    server.delay = 2.0
    code = ('from metapose_plugin.apis.model_zoo import resolve_zoo_model; '
            'print(resolve_zoo_model("capf-tiny").checkpoint)')
    procs = [subprocess.Popen([sys.executable, '-c', code], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(2)]
    outputs = [p.communicate(timeout=600) for p in procs]
    assert all(p.returncode == 0 for p in procs), outputs
    paths = {out.strip().splitlines()[-1] for out, _ in outputs}
    assert len(paths) == 1
    assert server.requests[CAPF_PATH] == 1
    state = torch.load(paths.pop(), weights_only=False)['state_dict']
    expected = checkpoint_converters()['capf'](image_zoo['references']['capf'])[0]
    assert state.keys() == expected.keys()
    assert all(torch.equal(state[k], expected[k]) for k in expected)
    assert not [f for f in _cache_files() if f.endswith('.part')]


def _load_tool(name: str):
    spec = importlib.util.spec_from_file_location(f'tool_{name}', osp.join(REPO, 'tools',
                                                                           f'{name}.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_test_tool_resolves_the_checkpoint_alias(image_zoo):
    tool = _load_tool('test')
    for checkpoint in ('zoo://capf-tiny', 'capf-tiny'):
        cfg = tool.adjust_cfg(Config(dict(load_from=checkpoint)),
                              Namespace(checkpoint=checkpoint, cfg_options=None))
        assert cfg.load_from == resolve_zoo_model('capf-tiny').checkpoint
    cfg = tool.adjust_cfg(Config(dict(load_from=CAPF_TINY)),
                          Namespace(checkpoint=CAPF_TINY, cfg_options=None))
    assert cfg.load_from == CAPF_TINY
    assert image_zoo['server'].requests[CAPF_PATH] == 1


def test_model_zoo_tool(image_zoo, tmp_path, monkeypatch, capsys):
    tool = _load_tool('model_zoo')
    monkeypatch.setattr(sys, 'argv', ['model_zoo.py', 'list'])
    tool.main()
    listing = capsys.readouterr().out
    assert 'capf-tiny' in listing and 'hrnet_topdown' in listing
    # a file downloaded by hand fills the alias' slot: no request afterwards
    local = tmp_path / 'best_epoch.bin'
    local.write_bytes(image_zoo['server'].files[CAPF_PATH])
    monkeypatch.setattr(sys, 'argv', ['model_zoo.py', 'convert', 'capf-tiny', str(local)])
    tool.main()
    assert 'capf-tiny: checkpoint' in capsys.readouterr().out
    monkeypatch.setattr(sys, 'argv', ['model_zoo.py', 'download', 'capf-tiny'])
    tool.main()
    assert resolve_zoo_model('capf-tiny').checkpoint in capsys.readouterr().out
    assert image_zoo['server'].requests[CAPF_PATH] == 0
    assert convert_local_file('capf-tiny', str(local)) == resolve_zoo_model('capf-tiny').checkpoint


MV_DATA = osp.join(REPO, 'tests', 'data', 'multiview_metapose_tf')
MV_TINY = osp.join(REPO, 'configs', 'multiview_metapose',
                   'multiview-metapose_tiny-ccat-mlp-1stage_1xb32-10e_h36m-videopose3d-sample.py')


def _metapose_tar() -> bytes:
    """An archive in the layout of Google's ``metapose.tar`` with the test
    checkpoint as ``ckpt/h36m/cam4/model`` (plus data it must skip)."""
    import io
    import tarfile
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode='w') as tar:
        tar.addfile(tarfile.TarInfo('metapose/data/h36m/opt/4/train/dataset.tfrec'),
                    io.BytesIO(b''))
        for name in sorted(os.listdir(osp.join(MV_DATA, 'cam4'))):
            tar.add(osp.join(MV_DATA, 'cam4', name), arcname=f'metapose/ckpt/h36m/cam4/{name}')
    return buffer.getvalue()


def test_multiview_archive_member(server, zoo_home, monkeypatch):
    server.files['/gresearch/metapose/metapose.tar'] = _metapose_tar()
    zoo_home([zoo_model('mv-tiny', MV_TINY, server.url('/gresearch/metapose/metapose.tar'),
                        'multiview_tf', Member='ckpt/h36m/cam4/model')])
    with np.load(osp.join(MV_DATA, 'cam4_variables.npz')) as data:
        dump = dict(data)
    if importlib.util.find_spec('tensorflow') is None:
        with pytest.raises(ImportError, match=r'metapose-plugin\[tf\]'):
            resolve_zoo_model('mv-tiny')
        # the extracted checkpoint stays cached: with TensorFlow (here: the
        # recorded variables of the same files) no second download happens
        from metapose_plugin.models.converters import ckpt_kinds
        monkeypatch.setattr(ckpt_kinds, 'load_tf_checkpoint',
                            lambda prefix: dump if osp.isfile(prefix + '.index') else None)
    model = resolve_zoo_model('mv-tiny')
    assert server.requests['/gresearch/metapose/metapose.tar'] == 1
    state = torch.load(model.checkpoint, weights_only=False)['state_dict']
    lifter = MODELS.build(Config.fromfile(MV_TINY).model)
    lifter.load_state_dict(state, strict=True)
    outputs = np.load(osp.join(MV_DATA, 'cam4_outputs.npz'))
    with torch.no_grad():
        ours = lifter.stages[0](torch.from_numpy(outputs['inputs']))
    np.testing.assert_allclose(ours.numpy(), outputs['outputs'], rtol=1e-9, atol=1e-12)
    # only the member's files were kept, not the archive
    assert not [f for f in _cache_files() if f.endswith(('.tar', '.tfrec'))]
