import os

import pytest
from mmengine.fileio import get_file_backend

from metapose_plugin.engine import AtomicLocalBackend
from metapose_plugin.engine.fileio import remove_stale_temporaries


def _backend():
    return get_file_backend(backend_args=dict(backend='AtomicLocalBackend'))


def test_registered_under_class_name():
    assert isinstance(_backend(), AtomicLocalBackend)


def test_put_and_put_text_replace_whole_file(tmp_path):
    backend = _backend()
    path = tmp_path / 'new_folder' / 'epoch_1.pth'
    backend.put(b'a' * 1000, path)
    backend.put(b'bc', path)
    assert path.read_bytes() == b'bc'
    pointer = tmp_path / 'last_checkpoint'
    backend.put_text('épOch_1.pth', pointer)
    assert pointer.read_text(encoding='utf-8') == 'épOch_1.pth'
    # No temporary file is left behind.
    assert sorted(os.listdir(tmp_path)) == ['last_checkpoint', 'new_folder']
    assert os.listdir(tmp_path / 'new_folder') == ['epoch_1.pth']


@pytest.mark.parametrize('method, old, new', [('put', b'old' * 100, b'new'),
                                              ('put_text', 'old', 'new')])
def test_crash_during_write_keeps_previous_file(tmp_path, monkeypatch,
                                                method, old, new):
    backend = _backend()
    path = tmp_path / 'file'
    getattr(backend, method)(old, path)

    def crash(fd):
        raise OSError('simulated crash while flushing to disk')

    monkeypatch.setattr(os, 'fsync', crash)
    with pytest.raises(OSError, match='simulated crash'):
        getattr(backend, method)(new, path)
    read = path.read_bytes() if method == 'put' else path.read_text()
    assert read == old
    assert os.listdir(tmp_path) == ['file']


def test_files_get_the_umask_mode(tmp_path):
    """A plain ``open`` gives 0o666 less the umask; mkstemp alone 0o600."""
    previous = os.umask(0o027)
    try:
        _backend().put(b'x', tmp_path / 'a.pth')
        os.umask(0o002)
        _backend().put(b'x', tmp_path / 'b.pth')
    finally:
        os.umask(previous)
    assert (tmp_path / 'a.pth').stat().st_mode & 0o777 == 0o640
    assert (tmp_path / 'b.pth').stat().st_mode & 0o777 == 0o664


def test_stale_temporaries_are_removed(tmp_path):
    """What a killed write leaves (mkstemp's name) goes; anything else stays."""
    names = ['.epoch_3.pth.k2j_8xq1.tmp', '.last_checkpoint.abcd1234.tmp']
    kept = ['epoch_2.pth', 'notes.tmp', '.hidden.tmp', '.epoch_3.pth.TOOLONGNAME.tmp']
    for name in names + kept:
        (tmp_path / name).write_bytes(b'')
    removed = remove_stale_temporaries(str(tmp_path))
    assert removed == sorted(str(tmp_path / n) for n in names)
    assert sorted(os.listdir(tmp_path)) == sorted(kept)
    assert remove_stale_temporaries(str(tmp_path / 'absent')) == []
