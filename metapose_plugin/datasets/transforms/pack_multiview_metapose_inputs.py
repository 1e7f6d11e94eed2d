"""Pack a multi-view MetaPose frame into MMPose's data-sample format."""
import numpy as np
import torch
from mmcv.transforms import BaseTransform
from mmengine.structures import InstanceData
from mmpose.registry import TRANSFORMS
from mmpose.structures import PoseDataSample

LABEL_KEYS = ('x_init', 'task', 'x_best', 'pose2d', 'pose3d', 'pose3d_cam0')


@TRANSFORMS.register_module()
class PackMultiViewMetaPoseInputs(BaseTransform):
    """Frame dict of :class:`H36MMultiViewDataset` -> ``inputs`` and a ``PoseDataSample``.

    ``inputs`` is the stage-1 solution ``x_init`` (D,) float64.
    ``data_sample.gt_instance_labels`` holds ``x_init``, ``task``, ``x_best``
    (1, .), ``pose2d`` (1, V, K, 2), ``pose3d`` and ``pose3d_cam0`` (1, K, 3)
    (whichever the frame has); the metainfo holds ``meta_keys``.

    Args:
        meta_keys (tuple[str]): Frame keys copied into the metainfo.
    """

    def __init__(self, meta_keys=('subject', 'action', 'subaction', 'frame', 'camera_subset',
                                  'num_views')):
        super().__init__()
        self.meta_keys = tuple(meta_keys)

    def transform(self, results: dict) -> dict:
        labels = InstanceData()
        for key in LABEL_KEYS:
            if key in results:
                labels.set_field(torch.as_tensor(np.asarray(results[key]))[None], key)
        sample = PoseDataSample(metainfo={k: results[k] for k in self.meta_keys if k in results})
        sample.gt_instance_labels = labels
        return dict(inputs=torch.as_tensor(np.asarray(results['x_init'])), data_samples=sample)
