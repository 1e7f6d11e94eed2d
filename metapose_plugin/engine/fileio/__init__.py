from .atomic_local_backend import AtomicLocalBackend, remove_stale_temporaries, write_atomically
from .checked_reading import (UnreadableFileError, load_npy, load_npz, load_pickle, npz_fields,
                              open_video, read_or_raise)

__all__ = [
    'AtomicLocalBackend', 'UnreadableFileError', 'load_npy', 'load_npz', 'load_pickle',
    'npz_fields', 'open_video', 'read_or_raise', 'remove_stale_temporaries', 'write_atomically'
]
