"""Google MetaPose's record folders: ``features.json`` + ``dataset.tfrec``.

The multi-view MetaPose reference (Usman et al., CVPR 2022,
``google-research/metapose``) keeps its Human3.6M data (the released
``data/h36m/pre/<split>`` and ``data/h36m/opt/<N>/<split>``) as a
tensorflow-datasets ``FeaturesDict`` of fixed-shape ``Tensor`` features,
saved with ``FeaturesDict.save_config`` (``features.json``) and one
``tf.train.Example`` per record in a TFRecord file (``dataset.tfrec``). This
module reads and writes that layout **without TensorFlow**: the TFRecord
framing and the ``Example`` protocol buffer come from the ``tfrecord``
package, the feature spec is plain JSON.

tensorflow-datasets (4.5.2, the reference's version) serialises a ``Tensor``
feature flat and row-major: integers and booleans as ``int64_list``, floats
as ``float_list`` (**float32**: a float64 field keeps float32 precision) and
strings as ``bytes_list``; its parser casts back to the declared dtype. The
reader does the same, so a record reads as the reference reads it.

Field layout of a ``pre`` record (V cameras, K = 17 joints, M = 4
components; see ``docs/multiview_metapose.md``): ``pose3d`` (K, 3), ``cam_pose3d``
(V, 3), ``cam_rot`` (V, 3, 3) (camera point = (X - C) @ R^T), ``cam_intr`` (V, 4)
fx, fy, cx, cy, ``cam_kd`` (V, 5) k1, k2, p1, p2, k3, ``pose2d_gt``,
``pose2d_repr``, ``pose2d_pred`` (V, K, 2) pixels, ``heatmaps`` (V, K, M, 4)
(pi, mu_x, mu_y, variance) pixels, ``keys`` (V,) ``'s%07d_f%07d_c%02d'``,
``bboxes`` (V, 4) int32 [y_min, y_max, x_min, x_max], ``pose3d_epi_pred``
(V, K, 3) float32 bbox units. An ``opt`` record (the stage-1 output) adds the
R reports (``pose3d_opt_preds`` (R, K, 3), ``cam_rot_opt_preds``
(R, V, 3, 3), ``scale_opt_preds`` (R, V), ``shift_opt_preds`` (R, V, 3),
``loss``, ``iters``, metrics) and ``cam_subset`` (V,), with its 2D fields and
mixtures in bbox units.
"""
import json
import os
import os.path as osp
from typing import Dict, Iterator, List, NamedTuple, Sequence, Tuple

import numpy as np
from google.protobuf.message import DecodeError
from tfrecord import example_pb2
from tfrecord.reader import tfrecord_iterator
from tfrecord.writer import TFRecordWriter

from metapose_plugin.engine.fileio import write_atomically

FEATURES_FILE = 'features.json'
RECORDS_FILE = 'dataset.tfrec'
_DICT_CLASS = 'tensorflow_datasets.core.features.features_dict.FeaturesDict'
_DICT_PROTO = 'tensorflow_datasets.FeaturesDict'
_TENSOR_CLASS = 'tensorflow_datasets.core.features.tensor_feature.Tensor'
#: declared dtype -> (numpy dtype, Example list kind)
_DTYPES = {
    'float16': (np.float16, 'float_list'),
    'float32': (np.float32, 'float_list'),
    'float64': (np.float64, 'float_list'),
    'int8': (np.int8, 'int64_list'),
    'int16': (np.int16, 'int64_list'),
    'int32': (np.int32, 'int64_list'),
    'int64': (np.int64, 'int64_list'),
    'uint8': (np.uint8, 'int64_list'),
    'bool': (np.bool_, 'int64_list'),
    'string': (np.bytes_, 'bytes_list'),
}
_WRITER_KIND = {'float_list': 'float', 'int64_list': 'int', 'bytes_list': 'byte'}


class FieldSpec(NamedTuple):
    """A fixed-shape ``Tensor`` feature: ``shape`` and declared ``dtype`` name."""
    shape: Tuple[int, ...]
    dtype: str


def read_features_json(folder: str) -> Dict[str, FieldSpec]:
    """The feature spec of a record folder.

    Accepts the layout tensorflow-datasets 4.5 writes (``{"type":
    FeaturesDict, "content": "<JSON of the feature proto>"}``) and the bare
    proto JSON of later versions (``{"featuresDict": {"features": ...}}``).

    Raises:
        ValueError: naming the file and the field for anything else than
            fixed-shape ``Tensor`` features of a known dtype.
    """
    path = osp.join(folder, FEATURES_FILE)
    if not osp.isfile(path):
        raise FileNotFoundError(f'{path}: no {FEATURES_FILE} (a record folder holds '
                                f'{FEATURES_FILE} and {RECORDS_FILE})')
    with open(path) as file:
        spec = json.load(file)
    if isinstance(spec.get('content'), str):
        spec = json.loads(spec['content'])
    features = spec.get('featuresDict', spec).get('features')
    if not isinstance(features, dict):
        raise ValueError(f'{path}: not a tensorflow-datasets FeaturesDict (no "features")')
    fields = {}
    for name, feature in features.items():
        tensor = feature.get('tensor')
        if feature.get('pythonClassName') != _TENSOR_CLASS or tensor is None:
            raise ValueError(f'{path}: field {name!r} is a {feature.get("pythonClassName")}, '
                             'only Tensor features are supported')
        shape = tuple(int(d) for d in tensor.get('shape', {}).get('dimensions', []))
        if any(d < 0 for d in shape) or tensor.get('dtype') not in _DTYPES:
            raise ValueError(f'{path}: field {name!r} has shape {shape} dtype '
                             f'{tensor.get("dtype")!r}; need a fixed shape and one of '
                             f'{sorted(_DTYPES)}')
        if tensor.get('encoding', 'none') != 'none':
            raise ValueError(f'{path}: field {name!r} uses encoding {tensor["encoding"]!r}; '
                             "only 'none' is supported")
        fields[name] = FieldSpec(shape, tensor['dtype'])
    return fields


def iter_records(folder: str) -> Iterator[Dict[str, np.ndarray]]:
    """Records of a folder, in file order, each field as its declared dtype and shape.

    Raises:
        ValueError: naming the file, the record index and the field for a
            truncated file, an undecodable record, a missing field or a
            field of the wrong kind or size.
    """
    fields = read_features_json(folder)
    path = osp.join(folder, RECORDS_FILE)
    if not osp.isfile(path):
        raise FileNotFoundError(f'{path}: missing (a record folder holds {FEATURES_FILE} and '
                                f'{RECORDS_FILE})')
    index = 0
    try:
        for raw in tfrecord_iterator(path):
            yield _decode(raw, fields, f'{path}: record {index}')
            index += 1
    except RuntimeError as error:  # the framing reader's "Failed to read ..."
        raise ValueError(f'{path}: record {index}: {error} (truncated file?)') from None


def read_records(folder: str) -> List[Dict[str, np.ndarray]]:
    """All records of a folder (see :func:`iter_records`)."""
    return list(iter_records(folder))


def _decode(raw: memoryview, fields: Dict[str, FieldSpec], where: str) -> Dict[str, np.ndarray]:
    example = example_pb2.Example()
    try:
        example.ParseFromString(bytes(raw))
    except DecodeError as error:
        raise ValueError(f'{where}: not a tf.train.Example ({error})') from None
    features = example.features.feature
    record = {}
    for name, (shape, dtype) in fields.items():
        if name not in features:
            raise ValueError(f'{where}: field {name!r} is missing')
        numpy_dtype, kind = _DTYPES[dtype]
        stored = features[name].WhichOneof('kind')
        values = getattr(features[name], kind).value
        size = int(np.prod(shape, dtype=np.int64))
        if stored not in (kind, None) or len(values) != size:
            raise ValueError(f'{where}: field {name!r} holds {len(values)} values of '
                             f'{stored}, expected {size} ({dtype}, shape {shape}) in {kind}')
        if kind == 'float_list':
            array = np.asarray(values, dtype=np.float32).astype(numpy_dtype)
        elif kind == 'int64_list':
            array = np.asarray(values, dtype=np.int64).astype(numpy_dtype)
        else:
            array = np.asarray(list(values), dtype=np.bytes_)
        record[name] = array.reshape(shape)
    return record


def write_records(folder: str, records: Sequence[Dict[str, np.ndarray]],
                  fields: Dict[str, FieldSpec]) -> None:
    """Write records in the layout tensorflow-datasets 4.5 writes.

    ``features.json`` is written last and atomically, so a folder with one is
    complete; ``dataset.tfrec`` goes to a temporary name first.

    Raises:
        ValueError: naming the record and the field when a value does not
            have the field's shape.
    """
    os.makedirs(folder, exist_ok=True)
    path = osp.join(folder, RECORDS_FILE)
    partial = path + '.partial'
    writer = TFRecordWriter(partial)
    try:
        for index, record in enumerate(records):
            datum = {}
            for name, (shape, dtype) in fields.items():
                value = np.asarray(record[name])
                if value.shape != shape:
                    raise ValueError(f'{path}: record {index} field {name!r} has shape '
                                     f'{value.shape}, expected {shape}')
                kind = _DTYPES[dtype][1]
                flat = value.reshape(-1)
                datum[name] = (list(flat) if kind == 'bytes_list' else flat.tolist(),
                               _WRITER_KIND[kind])
            writer.write(datum)
    finally:
        writer.close()
    os.replace(partial, path)
    content = {'features': {
        name: {'pythonClassName': _TENSOR_CLASS,
               'tensor': {'shape': {'dimensions': [str(d) for d in shape]} if shape else {},
                          'dtype': dtype, 'encoding': 'none'}}
        for name, (shape, dtype) in fields.items()}}
    spec = {'type': _DICT_CLASS, 'content': json.dumps(content, indent=2), 'proto_cls': _DICT_PROTO}
    write_atomically(json.dumps(spec, indent=4).encode(), osp.join(folder, FEATURES_FILE))
