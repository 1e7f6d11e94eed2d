"""The model zoo's index: ``model-index.yml`` and the metafiles it imports.

MMPose's metafile convention (``Collections`` with ``Paper`` and ``README``;
``Models`` with ``Name``, ``Alias``, ``In Collection``, ``Config``,
``Metadata``, ``Results``, ``Weights``), plus what that schema lacks, in a
``Converted From`` block per model (MMDetection's key for converted
weights):

* ``Code``: the reference repository; ``Weights``: the reference's download
  (a file, a Google Drive file or folder, or an archive);
* ``Converter``: the converter kind (:mod:`...converters.ckpt_kinds`);
* ``File``: the file's name (a glob) inside a Drive folder; ``Member``: the
  member (a TensorFlow prefix or a file) inside a tar archive;
* ``SHA256``: the download's checksum, where known; ``Merge``: an alias
  whose converted weights complete this one's (MPM's refine module needs
  its lifter);
* ``Note``: what a user must know (e.g. that no checkpoint is released).

``Metadata`` gains ``2D Model``: for the image lifters, the alias of the 2D
model whose features the lifter was trained on. A ``Results`` entry marks
its numbers ``Reported: true`` (copied from the reference, not measured
here) and names ``Oracle`` when the ground truth picks the output.
"""
import os
import os.path as osp
from typing import Dict, List, NamedTuple, Optional, Tuple

import yaml

#: Environment variable naming another ``model-index.yml`` (tests, mirrors).
INDEX_ENV = 'METAPOSE_MODEL_INDEX'
#: ``zoo://<alias>`` names a zoo entry where a path is expected.
ZOO_SCHEME = 'zoo://'


class ZooEntry(NamedTuple):
    """One model of the zoo.

    Attributes:
        name (str): ``Name`` (the config's name).
        aliases (tuple[str]): ``Alias`` values.
        collection (str): ``In Collection``.
        config (str): Absolute config path, or an ``mmpose::`` config.
        weights (str | None): The reference's download; None where nothing
            is released.
        converter (str | None): Converter kind.
        file (str | None): Glob of the file in a Drive folder.
        member (str | None): Member (or TensorFlow prefix) in a tar archive.
        sha256 (str | None): Checksum of the download.
        merge (str | None): Alias whose converted weights are merged in.
        pose2d (str | None): Alias of the 2D model (image lifters).
        note (str): ``Converted From.Note``.
        results (list[dict]): ``Results``.
    """
    name: str
    aliases: Tuple[str, ...]
    collection: str
    config: str
    weights: Optional[str]
    converter: Optional[str]
    file: Optional[str]
    member: Optional[str]
    sha256: Optional[str]
    merge: Optional[str]
    pose2d: Optional[str]
    note: str
    results: List[dict]

    @property
    def alias(self) -> str:
        """The first alias (the entry's short name)."""
        return self.aliases[0] if self.aliases else self.name


def index_path() -> str:
    """``$METAPOSE_MODEL_INDEX`` or ``model-index.yml`` of the plugin's checkout."""
    path = os.environ.get(INDEX_ENV)
    if path:
        return osp.abspath(path)
    return osp.join(osp.dirname(osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))),
                    'model-index.yml')


def _read_yaml(path: str) -> dict:
    if not osp.isfile(path):
        raise FileNotFoundError(
            f'model zoo: {path} not found; the zoo reads the metafiles of the plugin\'s checkout '
            f'(pip install -e .) or the index named by ${INDEX_ENV}')
    with open(path) as f:
        return yaml.safe_load(f) or {}


def _entry(model: dict, root: str, source: str) -> ZooEntry:
    for field in ('Name', 'Config', 'In Collection'):
        if not model.get(field):
            raise ValueError(f'model zoo: {source}: a model lacks the field {field!r}: {model}')
    aliases = model.get('Alias') or ()
    aliases = (aliases, ) if isinstance(aliases, str) else tuple(aliases)
    config = model['Config']
    if not config.startswith('mmpose::'):
        config = osp.join(root, config)
    converted = model.get('Converted From') or {}
    weights = model.get('Weights')
    if weights and not converted.get('Converter'):
        raise ValueError(f'model zoo: {source}: {model["Name"]} has Weights but no '
                         "'Converted From: Converter'")
    return ZooEntry(
        name=model['Name'], aliases=aliases, collection=model['In Collection'], config=config,
        weights=weights, converter=converted.get('Converter'), file=converted.get('File'),
        member=converted.get('Member'), sha256=converted.get('SHA256'),
        merge=converted.get('Merge'), pose2d=(model.get('Metadata') or {}).get('2D Model'),
        note=converted.get('Note', ''), results=model.get('Results') or [])


def load_model_index(path: Optional[str] = None) -> Dict[str, ZooEntry]:
    """Every model of the index by name and by each alias.

    Args:
        path (str, optional): ``model-index.yml``. Defaults to
            :func:`index_path`.

    Returns:
        dict[str, ZooEntry]: Name or alias -> entry (names and aliases are
        unique across the index).
    """
    path = path or index_path()
    root = osp.dirname(path)
    entries: Dict[str, ZooEntry] = {}
    for metafile in _read_yaml(path).get('Import', []):
        metafile_path = osp.join(root, metafile)
        for model in _read_yaml(metafile_path).get('Models', []):
            entry = _entry(model, root, metafile_path)
            for key in (entry.name, *entry.aliases):
                if key in entries:
                    raise ValueError(f'model zoo: {metafile_path}: {key!r} names two models')
                entries[key] = entry
    return entries


def zoo_name(value: Optional[str]) -> Optional[str]:
    """The zoo name in ``value`` (``zoo://<alias>`` or a bare alias that is
    no existing file), else None."""
    if not isinstance(value, str):
        return None
    if value.startswith(ZOO_SCHEME):
        return value[len(ZOO_SCHEME):]
    if osp.exists(value) or value.endswith(('.py', '.pth', '.pt', '.bin')):
        return None
    try:
        return value if value in load_model_index() else None
    except FileNotFoundError:  # no index (not a checkout): not an alias
        return None


def find_entry(name: str) -> ZooEntry:
    """The entry of a name or alias; a clear error listing the aliases."""
    entries = load_model_index()
    if name not in entries:
        aliases = sorted({e.alias for e in entries.values()})
        raise KeyError(f'model zoo: unknown model {name!r}; known aliases: {", ".join(aliases)} '
                       '(python tools/model_zoo.py list)')
    return entries[name]


def alias_table() -> str:
    """The zoo's models as a text table (alias, method, converter, weights, config)."""
    entries = {e.name: e for e in load_model_index().values()}.values()
    rows = [('alias', 'method', 'converter', 'weights', 'config')]
    rows += [(e.alias, e.collection, e.converter or '-', 'released' if e.weights else 'none',
              osp.basename(e.config)) for e in entries]
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    return '\n'.join('  '.join([*(cell.ljust(w) for cell, w in zip(row, widths)), row[4]])
                     for row in rows)
