"""projects/metapose/demo/inferencer_demo.py: the zoo's aliases and BVH export."""
import importlib.util
import json
import os.path as osp
import sys

import pytest

from metapose_plugin.testing import tiny_pose2d_config

from ._tool_utils import CAPF_TINY, REPO

DEMO = 'projects/metapose/demo/inferencer_demo.py'


def _main(monkeypatch, *args: str) -> None:
    spec = importlib.util.spec_from_file_location('inferencer_demo', osp.join(REPO, DEMO))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    monkeypatch.setattr(sys, 'argv', [DEMO, *args])
    module.main()


def test_show_alias_lists_the_zoo(monkeypatch, capsys):
    monkeypatch.delenv('METAPOSE_MODEL_INDEX', raising=False)
    _main(monkeypatch, '--show-alias')
    listing = capsys.readouterr().out
    assert 'capf-w32_h36m' in listing and 'multiview-metapose_h36m-4cam' in listing
    with pytest.raises(SystemExit):
        _main(monkeypatch, '--input', 'video.mp4')  # --pose3d missing


def test_export_bvh_writes_json_and_one_bvh_per_track(monkeypatch, tmp_path):
    """Tiny random models (nothing downloaded)."""
    pose2d = str(tmp_path / 'td-hm_tiny-hrnet_coco-256x192.py')
    tiny_pose2d_config().dump(pose2d)
    _main(monkeypatch, '--input', osp.join(REPO, 'data', 'videos', 'demo.mp4'),
          '--pose3d', osp.join(REPO, CAPF_TINY), '--pose2d', pose2d,
          '--det-model', 'whole_image', '--device', 'cpu', '--output-root', str(tmp_path),
          '--export-bvh')
    predictions = tmp_path / 'predictions'
    assert sorted(p.name for p in predictions.iterdir()) == ['demo.json', 'demo_track0.bvh']
    assert (tmp_path / 'visualizations' / 'demo.mp4').is_file()
    with open(predictions / 'demo.json') as f:
        assert len(json.load(f)) == 5
    with open(predictions / 'demo_track0.bvh') as f:
        assert 'Frames: 5' in f.read()
