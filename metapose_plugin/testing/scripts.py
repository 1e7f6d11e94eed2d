"""Load a command-line script of the repository (``tools/``, ``projects/``)
as a module, for tests that call its functions."""
import importlib.util
import os.path as osp
from types import ModuleType


def load_script(path: str) -> ModuleType:
    """The script at ``path`` as a fresh module named after its file."""
    name = osp.splitext(osp.basename(path))[0]
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
