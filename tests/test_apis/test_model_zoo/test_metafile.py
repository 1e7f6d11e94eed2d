"""The repository's model index and the metafile reader."""
import os.path as osp
import re

import pytest
from mmengine.hub import get_config

from metapose_plugin.apis.model_zoo import alias_table, find_entry, load_model_index, zoo_name
from metapose_plugin.models.converters.ckpt_kinds import checkpoint_converters

from ..conftest import CAPF_TINY, REPO
from .conftest import zoo_model


@pytest.fixture
def repository_index(monkeypatch):
    monkeypatch.delenv('METAPOSE_MODEL_INDEX', raising=False)
    return load_model_index()


def test_repository_index_is_complete(repository_index):
    entries = {e.name: e for e in repository_index.values()}.values()
    aliases = {e.alias for e in entries}
    assert {'capf-w32_h36m', 'hrnet-w32_coco-256x192', 'metapose-w32_h36m', 'finepose_h36m-cpn',
            'mpm-lift_h36m-cpn', 'mpm-lift-refine_h36m-cpn', 'mpm-pretrain_h36m',
            'multiview-metapose_h36m-2cam', 'multiview-metapose_h36m-3cam',
            'multiview-metapose_h36m-4cam'} <= aliases
    converters = checkpoint_converters()
    for entry in entries:
        if entry.config.startswith('mmpose::'):
            assert get_config(entry.config).model.type == 'TopdownPoseEstimator'
        else:
            assert osp.isfile(entry.config), entry.config
        assert entry.converter in converters, entry.name
        if entry.weights is None:
            assert 'releases no checkpoint' in entry.note
        if entry.pose2d:
            assert find_entry(entry.pose2d).converter == 'hrnet_topdown'
        if entry.merge:
            assert find_entry(entry.merge).weights == entry.weights
        for result in entry.results:
            assert result['Reported'] is True and 'Oracle' in result
    assert find_entry('finepose_h36m-cpn').results[0]['Oracle'].startswith('J-Best')
    assert find_entry('capf-w32_h36m').results[0]['Metrics'] == {'MPJPE': 41.3}
    assert find_entry('capf-w32_h36m').pose2d == 'hrnet-w32_coco-256x192'
    # the README's table names every alias
    with open(osp.join(REPO, 'README.md')) as f:
        readme = f.read()
    table = readme.split('## Pretrained models')[1].split('\n## ')[0]
    listed = set(re.findall(r'^\| `([^`]+)` \|', table, re.M))
    expanded = set()
    for alias in listed:
        match = re.fullmatch(r'(.*)\{([\d,]+)\}(.*)', alias)
        expanded |= ({match.group(1) + n + match.group(3) for n in match.group(2).split(',')}
                     if match else {alias})
    assert expanded == aliases


def test_zoo_names(repository_index):
    assert zoo_name('zoo://anything') == 'anything'
    assert zoo_name('capf-w32_h36m') == 'capf-w32_h36m'
    assert zoo_name(CAPF_TINY) is None
    assert zoo_name('human') is None  # an MMPose alias
    assert zoo_name('missing/epoch_1.pth') is None
    listing = alias_table()
    assert re.search(r'^capf-w32_h36m +CA-PF +capf +released', listing, re.M)
    assert re.search(r'^metapose-w32_h36m +MetaPose +metapose +none', listing, re.M)


def test_bad_indexes_are_refused(zoo_home, tmp_path, monkeypatch):
    entry = zoo_model('a', CAPF_TINY, 'http://127.0.0.1:1/a.bin', 'capf')
    zoo_home([entry, dict(entry, Name='other')])
    with pytest.raises(ValueError, match="'a' names two models"):
        load_model_index()
    zoo_home([dict(entry, **{'Converted From': {}})])
    with pytest.raises(ValueError, match="has Weights but no 'Converted From: Converter'"):
        load_model_index()
    monkeypatch.setenv('METAPOSE_MODEL_INDEX', str(tmp_path / 'nowhere.yml'))
    with pytest.raises(FileNotFoundError, match=r'nowhere.yml not found.*METAPOSE_MODEL_INDEX'):
        load_model_index()
    assert zoo_name('a') is None  # no index: not an alias, paths keep working
