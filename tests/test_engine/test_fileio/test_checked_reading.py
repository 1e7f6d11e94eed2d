"""Readers turn a truncated or foreign file into an error naming it."""
import pickle

import cv2
import numpy as np
import pytest

from metapose_plugin.engine.fileio import (UnreadableFileError, load_npy, load_npz, load_pickle,
                                           npz_fields, open_video, read_or_raise)


def _truncate(path, keep=0.5):
    data = path.read_bytes()
    path.write_bytes(data[:int(len(data) * keep)])


@pytest.fixture
def npz(tmp_path):
    path = tmp_path / 'poses.npz'
    np.savez(path, a=np.arange(2000.0).reshape(100, 20), b=np.ones(3))
    return path


def test_intact_files_read(npz, tmp_path):
    fields = load_npz(str(npz), 'a test npz')
    assert sorted(fields) == ['a', 'b'] and fields['a'][99, 19] == 1999.0
    assert npz_fields(str(npz), 'a test npz') == ['a', 'b']
    np.save(tmp_path / 'x.npy', np.eye(3))
    assert load_npy(str(tmp_path / 'x.npy'), 'a test npy').shape == (3, 3)
    (tmp_path / 'x.pkl').write_bytes(pickle.dumps({'k': 1}))
    assert load_pickle(str(tmp_path / 'x.pkl'), 'a test pickle') == {'k': 1}


@pytest.mark.parametrize('reader', [load_npz, npz_fields])
def test_truncated_npz_names_file_and_expectation(npz, reader):
    _truncate(npz)
    with pytest.raises(UnreadableFileError, match=rf"{npz}: cannot be read as a test npz "
                       r"\(BadZipFile"):
        reader(str(npz), 'a test npz')


def test_corrupt_member_fails_at_load_not_later(npz):
    """The central directory survives, a member's bytes do not: a lazy
    ``np.load`` would fail only when the field is read."""
    data = bytearray(npz.read_bytes())
    start = data.index(b'a.npy') + 200
    data[start:start + 64] = b'\x00' * 64
    npz.write_bytes(bytes(data))
    with pytest.raises(UnreadableFileError, match=str(npz)):
        load_npz(str(npz), 'a test npz')


def test_garbage_and_missing_files(tmp_path):
    garbage = tmp_path / 'garbage.pkl'
    garbage.write_bytes(b'\x00not a pickle at all' * 10)
    with pytest.raises(UnreadableFileError, match=rf'{garbage}: cannot be read as cameras.pkl'):
        load_pickle(str(garbage), 'cameras.pkl')
    np.savez(tmp_path / 'y.npz', a=1)
    with pytest.raises(UnreadableFileError, match='an npz archive, not an .npy array'):
        load_npy(str(tmp_path / 'y.npz'), 'detections')
    with pytest.raises(FileNotFoundError, match=r'absent\.npz: no such file \(expected a test'):
        load_npz(str(tmp_path / 'absent.npz'), 'a test npz')


def test_own_checks_are_not_wrapped(tmp_path):
    """Only the library call is wrapped: a reader's own error stays its own."""
    path = tmp_path / 'f'
    path.write_bytes(b'1')

    def read(_):
        raise KeyError('library says no')

    with pytest.raises(UnreadableFileError) as info:
        read_or_raise(str(path), read, 'something')
    assert isinstance(info.value.__cause__, KeyError)


def test_video(tmp_path):
    path = tmp_path / 'clip.avi'
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*'MJPG'), 10, (32, 24))
    for value in range(0, 250, 50):
        writer.write(np.full((24, 32, 3), value, np.uint8))
    writer.release()
    video = open_video(str(path))
    assert len(list(video)) == 5
    garbage = tmp_path / 'garbage.mp4'
    garbage.write_bytes(b'\x00' * 5000)
    with pytest.raises(UnreadableFileError, match=rf'{garbage}: cannot be read as a video'):
        open_video(str(garbage))
    _truncate(path, 0.1)
    with pytest.raises(UnreadableFileError, match=str(path)):
        open_video(str(path))
