"""The model zoo: released reference weights by alias (``model-index.yml``)."""
from .fetch import ZooDownloadError
from .metafile import ZooEntry, alias_table, find_entry, load_model_index, zoo_name
from .zoo import (ZooModel, cache_root, convert_local_file, resolve_pose_models,
                  resolve_zoo_model)

__all__ = [
    'ZooDownloadError', 'ZooEntry', 'ZooModel', 'alias_table', 'cache_root', 'convert_local_file',
    'find_entry', 'load_model_index', 'resolve_pose_models', 'resolve_zoo_model', 'zoo_name'
]
