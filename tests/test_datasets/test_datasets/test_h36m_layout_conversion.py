import os.path as osp
import runpy
import sys

import numpy as np
import pytest

from metapose_plugin.datasets import H36MImageDataset
from metapose_plugin.datasets.datasets.h36m_layout_conversion import \
    mmpose_npz_to_capf_records

TOOL = osp.join(
    osp.dirname(__file__), '..', '..', '..', 'tools', 'dataset_converters',
    'h36m_npz_to_capf_pkl.py')


def _convert(npz_cfg):
    root = npz_cfg()['data_root']
    return mmpose_npz_to_capf_records(
        osp.join(root, 'test_h36m_body3d.npz'), osp.join(root, 'cameras.pkl'),
        osp.join(root, 'test_h36m_2d_detection.npy'))


def test_converted_records_match_the_capf_sample(npz_cfg, pkl_records):
    records = {r['image']: r for r in _convert(npz_cfg)}
    assert len(records) == 4
    for ref in pkl_records:
        record = records[ref['image']]
        for key in ('subject', 'action', 'subaction', 'camera_id',
                    'image_id', 'nposes', 'source'):
            assert record[key] == ref[key], key
        for key in ('joints_3d', 'joints_2d_gt', 'joints_2d_cpn', 'box',
                    'center', 'scale', 'joints_vis'):
            np.testing.assert_allclose(
                np.asarray(record[key]), np.asarray(ref[key]), atol=1e-5,
                err_msg=key)
        for key in ('joints_2d_gt_crop', 'joints_2d_cpn_crop'):
            np.testing.assert_allclose(record[key], ref[key], atol=1e-3)
        for key in ('R', 'T', 'fx', 'fy', 'cx', 'cy', 'k', 'p'):
            np.testing.assert_allclose(record['camera'][key],
                                       ref['camera'][key], rtol=1e-6)


def test_tool_writes_a_loadable_pickle(tmp_path, npz_cfg, pkl_cfg,
                                       make_pipeline, monkeypatch):
    root = npz_cfg()['data_root']
    out = tmp_path / 'h36m_validation.pkl'
    monkeypatch.setattr(sys, 'argv', [
        TOOL,
        osp.join(root, 'test_h36m_body3d.npz'),
        osp.join(root, 'cameras.pkl'),
        str(out), '--det',
        osp.join(root, 'test_h36m_2d_detection.npy'), '--img-root', root,
        '--out-img-root',
        str(tmp_path / 'images')
    ])
    runpy.run_path(TOOL, run_name='__main__')
    converted = H36MImageDataset(
        **pkl_cfg(data_root=str(tmp_path), ann_file=out.name,
                  keypoint_2d_src='cpn'),
        pipeline=make_pipeline())
    npz = H36MImageDataset(**npz_cfg(keypoint_2d_src='cpn'))
    assert len(converted) == 4
    for index in range(4):
        sample = converted[index]['data_samples']
        assert sample.action == npz[index]['action']
        np.testing.assert_allclose(
            sample.gt_instance_labels.keypoint_labels[0].numpy(),
            npz[index]['keypoint_labels'][0], atol=1e-5)
    with pytest.raises(SystemExit):
        monkeypatch.setattr(sys, 'argv', [TOOL, 'a.npz', 'c.pkl', 'o.pkl',
                                          '--out-img-root', 'x'])
        runpy.run_path(TOOL, run_name='__main__')
