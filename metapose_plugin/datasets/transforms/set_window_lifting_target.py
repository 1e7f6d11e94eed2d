"""Make every frame of a window a lifting target."""
import numpy as np
from mmcv.transforms import BaseTransform
from mmpose.registry import TRANSFORMS


@TRANSFORMS.register_module()
class SetWindowLiftingTarget(BaseTransform):
    """Use the whole window as the lifting target.

    ``H36MSequenceDataset``'s ``per_frame`` windows target only their centre
    frame; MPM's training (pretraining, completion and the lifter's
    all-frames loss) needs the 3D of every frame. This copies
    ``keypoints_3d`` (F, K, 3), camera frame, metres, to ``lifting_target``
    and its visibility, frame ids and padding flags to the target keys, so
    that the ``VideoPoseLifting`` codec then makes (F, K, 3) root-relative
    labels and an (F, 3) ``target_root``.

    Required keys: ``keypoints_3d``; optional ``keypoints_3d_visible``,
    ``frame_ids``, ``pad_mask``. Modified: ``lifting_target``,
    ``lifting_target_visible``, ``target_frame_ids``, ``target_pad_mask``.
    """

    def transform(self, results: dict) -> dict:
        """Copy the window's 3D and frame keys to the target keys."""
        if 'keypoints_3d' not in results:
            raise KeyError('SetWindowLiftingTarget: the sample has no keypoints_3d (F, K, 3) '
                           f'(sample {results.get("sample_idx")})')
        keypoints_3d = np.asarray(results['keypoints_3d'])
        results['lifting_target'] = keypoints_3d.copy()
        visible = results.get('keypoints_3d_visible', np.ones(keypoints_3d.shape[:-1], np.float32))
        results['lifting_target_visible'] = np.asarray(visible).copy()
        for source, target in (('frame_ids', 'target_frame_ids'), ('pad_mask', 'target_pad_mask')):
            if source in results:
                results[target] = np.asarray(results[source]).copy()
        return results
