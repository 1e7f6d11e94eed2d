"""Record what MMPose's 3D visualizer is asked to draw (tests only)."""
from typing import List, Tuple

import numpy as np
from mmpose.visualization import Pose3dLocalVisualizer


def record_3d_panels(monkeypatch) -> List[Tuple[np.ndarray, float]]:
    """Make MMPose's ``Pose3dLocalVisualizer._draw_3d_data_samples`` (which
    :class:`MetaPose3dLocalVisualizer` calls per panel) record its input.

    Args:
        monkeypatch: pytest's fixture (the patch ends with the test).

    Returns:
        list: Filled as panels are drawn: ``(keypoints (N, K, 3) as drawn,
        kpt_thr the panel filters with)`` per call.
    """
    panels = []
    draw = Pose3dLocalVisualizer._draw_3d_data_samples

    def recording(self, image, pose_samples, **kwargs):
        panels.append((np.asarray(pose_samples.pred_instances.keypoints), kwargs['kpt_thr']))
        return draw(self, image, pose_samples, **kwargs)

    monkeypatch.setattr(Pose3dLocalVisualizer, '_draw_3d_data_samples', recording)
    return panels
