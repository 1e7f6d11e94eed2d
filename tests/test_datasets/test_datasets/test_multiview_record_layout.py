"""Reader and writer of the multi-view MetaPose reference's record folders.

``tests/data/multiview_metapose_records`` was written by tensorflow-datasets
4.5.2 itself (``generate_records.py`` there); ``decoded.npz`` holds every
field as tensorflow-datasets' parser reads it back.
"""
import copy
import json
import os.path as osp
import shutil

import numpy as np
import pytest

from metapose_plugin.datasets.datasets.multiview_record_layout import (FieldSpec, iter_records,
                                                                       read_features_json,
                                                                       read_records,
                                                                       write_records)

RECORDS = osp.join(osp.dirname(__file__), '..', '..', 'data', 'multiview_metapose_records')


@pytest.mark.parametrize('split, fields', [('pre', 12), ('opt', 26)])
def test_every_field_reads_as_tensorflow_datasets_reads_it(split, fields):
    decoded = np.load(osp.join(RECORDS, 'decoded.npz'))
    records = read_records(osp.join(RECORDS, split))
    assert len(records) == 3 and all(len(r) == fields for r in records)
    for index, record in enumerate(records):
        for name, value in record.items():
            expected = decoded[f'{split}/{index}/{name}']
            assert value.dtype == expected.dtype and value.shape == expected.shape, name
            np.testing.assert_array_equal(value, expected, err_msg=name)
    spec = read_features_json(osp.join(RECORDS, split))
    assert spec['bboxes'] == FieldSpec((4, 4), 'int32')
    assert spec['heatmaps'] == FieldSpec((4, 17, 4, 4), 'float64')
    if split == 'opt':
        assert spec['pose2d_gt_posenet_err_mean'] == FieldSpec((), 'float32')
    # float64 fields are stored as float32 (tensorflow-datasets' serialisation)
    heatmaps = records[0]['heatmaps']
    np.testing.assert_array_equal(heatmaps, heatmaps.astype(np.float32))
    assert records[1]['keys'][2] == b's0000002_f0000015_c02'


@pytest.mark.parametrize('split', ['pre', 'opt'])
def test_written_folders_read_back_and_match_the_tfds_spec_file(split, tmp_path):
    source = osp.join(RECORDS, split)
    records = read_records(source)
    write_records(str(tmp_path), records, read_features_json(source))
    for ours, theirs in zip(read_records(str(tmp_path)), records):
        assert ours.keys() == theirs.keys()
        for name in ours:
            np.testing.assert_array_equal(ours[name], theirs[name], err_msg=name)
    with open(osp.join(source, 'features.json')) as file:
        reference = json.load(file)
    with open(tmp_path / 'features.json') as file:
        written = json.load(file)
    assert written.keys() == reference.keys()
    assert json.loads(written['content']) == json.loads(reference['content'])
    assert not (tmp_path / 'dataset.tfrec.partial').exists()


def test_bare_proto_spec_of_later_versions(tmp_path):
    source = osp.join(RECORDS, 'pre')
    with open(osp.join(source, 'features.json')) as file:
        content = json.loads(json.load(file)['content'])
    with open(tmp_path / 'features.json', 'w') as file:
        json.dump({'pythonClassName': 'tensorflow_datasets.core.features.features_dict.'
                                      'FeaturesDict', 'featuresDict': content}, file)
    assert read_features_json(str(tmp_path)) == read_features_json(source)


def _copy(split, tmp_path):
    folder = tmp_path / split
    shutil.copytree(osp.join(RECORDS, split), folder)
    return folder


def test_bad_files_name_the_file_record_and_field(tmp_path):
    folder = _copy('pre', tmp_path)
    data = (folder / 'dataset.tfrec').read_bytes()
    (folder / 'dataset.tfrec').write_bytes(data[:len(data) - 100])
    with pytest.raises(ValueError, match=r'dataset.tfrec: record 2: .*truncated'):
        read_records(str(folder))
    spec_path = folder / 'features.json'
    spec = json.loads(spec_path.read_text())
    content = json.loads(spec['content'])
    content['features']['extra'] = copy.deepcopy(content['features']['pose3d'])
    spec_path.write_text(json.dumps(dict(spec, content=json.dumps(content))))
    with pytest.raises(ValueError, match=r"record 0: field 'extra' is missing"):
        next(iter_records(str(folder)))
    content['features']['extra']['tensor']['shape']['dimensions'] = ['-1', '3']
    spec_path.write_text(json.dumps(dict(spec, content=json.dumps(content))))
    with pytest.raises(ValueError, match=r"features.json: field 'extra' has shape \(-1, 3\)"):
        read_features_json(str(folder))
    del content['features']['extra']
    content['features']['pose3d']['tensor']['shape']['dimensions'] = ['16', '3']
    spec_path.write_text(json.dumps(dict(spec, content=json.dumps(content))))
    with pytest.raises(ValueError, match=r"record 0: field 'pose3d' holds 51 values"):
        next(iter_records(str(folder)))
    with pytest.raises(ValueError, match=r"record 0 field 'pose3d' has shape \(17, 3\)"):
        write_records(str(tmp_path / 'out'), read_records(osp.join(RECORDS, 'pre')),
                      read_features_json(str(folder)))
    with pytest.raises(FileNotFoundError, match='features.json'):
        read_records(str(tmp_path))
