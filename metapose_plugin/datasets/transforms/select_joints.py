"""Keep a subset of the joints of a sample (e.g. MPM's 16-joint Human3.6M)."""
from typing import Sequence

import numpy as np
from mmcv.transforms import BaseTransform
from mmpose.registry import TRANSFORMS

# every per-joint key of a sequence sample, joints on axis -2 (coordinates)
# or -1 (visibility)
_COORDINATE_KEYS = ('keypoints', 'keypoints_3d', 'lifting_target')
_VISIBILITY_KEYS = ('keypoints_visible', 'keypoints_3d_visible', 'lifting_target_visible')


@TRANSFORMS.register_module()
class SelectJoints(BaseTransform):
    """Keep the joints ``joint_indices`` of a sample, in that order.

    MPM's 16-joint Human3.6M variant (SPEC_MPM section 1) drops joint 9
    (neck/nose) in its data generator: ``SelectJoints(joint_indices=[0, 1,
    ..., 8, 10, ..., 16])``. The pose metainfo's ``flip_indices`` is
    remapped to the kept joints, so flips that follow swap the right pairs;
    place this transform first in the pipeline.

    Modified keys (those present): ``keypoints`` (F, K, 2),
    ``keypoints_3d`` (F, K, 3), ``lifting_target`` (F_t, K, 3), their
    visibilities (F, K) / (F_t, K), ``flip_indices``, ``num_keypoints``.

    Args:
        joint_indices (Sequence[int]): Joints to keep, indices into the
            dataset's K joints.
    """

    def __init__(self, joint_indices: Sequence[int]):
        self.joint_indices = [int(j) for j in joint_indices]
        if len(set(self.joint_indices)) != len(self.joint_indices) or min(
                self.joint_indices, default=-1) < 0:
            raise ValueError(f'SelectJoints: joint_indices must be distinct non-negative '
                             f'indices, got {self.joint_indices}')

    def transform(self, results: dict) -> dict:
        """Slice the per-joint keys and remap ``flip_indices``."""
        where = f'sample {results.get("sample_idx", "?")}'
        keep = self.joint_indices
        for key in _COORDINATE_KEYS + _VISIBILITY_KEYS:
            if key not in results:
                continue
            value = np.asarray(results[key])
            axis = -2 if key in _COORDINATE_KEYS else -1
            if max(keep) >= value.shape[axis]:
                raise ValueError(f'SelectJoints: {where}: field {key} has '
                                 f'{value.shape[axis]} joints, joint_indices reach {max(keep)}')
            results[key] = np.take(value, keep, axis=axis)
        if 'flip_indices' in results:
            new_index = {old: new for new, old in enumerate(keep)}
            partners = [results['flip_indices'][old] for old in keep]
            missing = [old for old, partner in zip(keep, partners) if partner not in new_index]
            if missing:
                raise ValueError(f'SelectJoints: {where}: joints {missing} are kept but their '
                                 'flip partners are not')
            results['flip_indices'] = [new_index[p] for p in partners]
        results['num_keypoints'] = len(keep)
        return results

    def __repr__(self) -> str:
        return f'{type(self).__name__}(joint_indices={self.joint_indices})'
