"""MMPose's 3D visualizer, made to run on matplotlib >= 3.10 and NumPy 2."""
from contextlib import contextmanager
from typing import Iterator

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from mmengine.structures import InstanceData
from mmpose.registry import VISUALIZERS
from mmpose.structures import PoseDataSample
from mmpose.visualization import Pose3dLocalVisualizer


@contextmanager
def _agg_tostring_rgb() -> Iterator[None]:
    """Give ``FigureCanvasAgg`` back its ``tostring_rgb`` (removed in
    matplotlib 3.10) for the duration of the block, built on
    ``buffer_rgba``; a canvas that still has it is left untouched."""
    if hasattr(FigureCanvasAgg, 'tostring_rgb'):
        yield
        return

    def tostring_rgb(canvas: FigureCanvasAgg) -> bytes:
        return np.asarray(canvas.buffer_rgba())[..., :3].tobytes()

    FigureCanvasAgg.tostring_rgb = tostring_rgb
    try:
        yield
    finally:
        del FigureCanvasAgg.tostring_rgb


def to_plot_frame(keypoints: np.ndarray) -> np.ndarray:
    """Camera-frame 3D joints to the frame of MMPose's 3D panel.

    Camera frame: x right, y down, z forward. Panel: x, depth, height up
    (``-(x, z, y)``, as :class:`Pose3DInferencer` shows predictions), each
    person's lowest joint at height 0.

    Args:
        keypoints (np.ndarray): Joints in shape (N, K, 3), camera frame.

    Returns:
        np.ndarray: New array (N, K, 3) in the panel frame.
    """
    plot = -np.asarray(keypoints, dtype=np.float64)[..., [0, 2, 1]]
    plot[..., 2] -= plot[..., 2].min(axis=-1, keepdims=True)
    return plot


def _in_plot_frame(instances: InstanceData) -> InstanceData:
    """A copy of ``instances`` whose ``keypoints`` are in the panel frame."""
    converted = instances.clone()
    if 'keypoints' in converted:
        converted.keypoints = to_plot_frame(converted.keypoints)
    return converted


@VISUALIZERS.register_module()
class MetaPose3dLocalVisualizer(Pose3dLocalVisualizer):
    """MMPose's :class:`Pose3dLocalVisualizer` (2D image beside one 3D panel
    per person) with two compatibility fixes and nothing else:

    - matplotlib 3.10 removed ``FigureCanvas.tostring_rgb``, which the 3D
      panel reads its pixels with: it is provided while a panel is drawn.
    - NumPy 2 makes ``np.array(x, copy=False)`` raise when ``x`` is not
      already a NumPy array (e.g. keypoints kept as torch tensors in a data
      sample): the 2D instance fields are turned into arrays first.
    - NumPy 2 no longer converts a 1-element array to ``int``: the keypoint
      radius (passed as a (1,) array) becomes a scalar for OpenCV.

    The 3D keypoints of the data samples are, by ``keypoints_frame``:
    ``'camera'`` (x right, y down, z forward, metres, as the lifters predict
    them and :class:`MetaPose3DInferencer` passes them), turned upright by
    :func:`to_plot_frame`; or ``'display'`` (already upright, as MMPose's
    :class:`Pose3DInferencer` converts them before drawing), shown as they
    are. The ``kpt_thr`` of :meth:`add_datasample` also reaches the 3D panels
    (MMPose's keep their own 0.3, so a lower threshold hid 3D joints still).

    Each 3D panel is drawn in its own figure, so that any number of people
    can be shown (MMPose sizes one figure for all of them but reshapes its
    pixels as if they were ``num_instances`` times wider), and with
    ``num_instances >= 0`` missing people get blank panels, so that every
    frame of a video has the same size.

    Args:
        name (str): Instance name (MMEngine's managed instances).
            Defaults to ``'visualizer'``.
        keypoints_frame (str): ``'camera'`` or ``'display'``, see above.
            Defaults to ``'camera'``.
        *args, **kwargs: Those of :class:`Pose3dLocalVisualizer`.
    """

    KEYPOINTS_FRAMES = ('camera', 'display')

    def __init__(self, name: str = 'visualizer', *args, keypoints_frame: str = 'camera',
                 **kwargs) -> None:
        if keypoints_frame not in self.KEYPOINTS_FRAMES:
            raise ValueError(f'MetaPose3dLocalVisualizer: keypoints_frame must be one of '
                             f'{self.KEYPOINTS_FRAMES}, got {keypoints_frame!r}')
        super().__init__(name, *args, **kwargs)
        self.keypoints_frame = keypoints_frame
        self._panel_kpt_thr = 0.3

    def add_datasample(self, *args, kpt_thr: float = 0.3, **kwargs) -> np.ndarray:
        """MMPose's ``add_datasample``, with ``kpt_thr`` used by the 3D
        panels too (arguments as :class:`Pose3dLocalVisualizer`'s)."""
        self._panel_kpt_thr = kpt_thr
        return super().add_datasample(*args, kpt_thr=kpt_thr, **kwargs)

    def _draw_3d_data_samples(self, image: np.ndarray, pose_samples: PoseDataSample,
                              draw_gt: bool = True, num_instances: int = -1,
                              **kwargs) -> np.ndarray:
        """RGB image of the 3D panels, one per person, side by side."""
        pred = pose_samples.get('pred_instances', InstanceData())
        count = len(pred) if 'keypoints' in pred else 0
        num_panels = count if num_instances < 0 else num_instances
        scores_2d = kwargs.pop('scores_2d', None)
        side = max(image.shape[:2])
        panels = [np.full((side, side * (2 if draw_gt else 1), 3), 255, np.uint8)
                  for _ in range(max(num_panels, 1))]
        convert = _in_plot_frame if self.keypoints_frame == 'camera' else InstanceData.clone
        kwargs.setdefault('kpt_thr', self._panel_kpt_thr)
        with _agg_tostring_rgb():
            for index in range(min(count, num_panels)):
                sample = PoseDataSample(metainfo=pose_samples.metainfo)
                sample.pred_instances = convert(pred[index:index + 1])
                if draw_gt and 'gt_instances' in pose_samples:
                    sample.gt_instances = convert(pose_samples.gt_instances[index:index + 1])
                panels[index] = super()._draw_3d_data_samples(
                    image, sample, draw_gt=draw_gt, num_instances=1,
                    scores_2d=None if scores_2d is None else scores_2d[index:index + 1],
                    **kwargs).astype(np.uint8)
        return np.concatenate(panels, axis=1)

    def draw_circles(self, center: np.ndarray, radius, face_colors='none', alpha: float = 1.0,
                     **kwargs) -> 'MetaPose3dLocalVisualizer':
        """Draw a circle; a 1-element ``radius`` array is made a scalar."""
        if self.backend == 'opencv' and np.size(radius) == 1:
            radius = np.asarray(radius).item()
        return super().draw_circles(center, radius, face_colors=face_colors, alpha=alpha,
                                    **kwargs)

    def _draw_instances_kpts(self, image: np.ndarray, instances: InstanceData, *args,
                             **kwargs):
        """Draw 2D keypoints and skeletons; fields become arrays first."""
        arrays = InstanceData(metainfo=instances.metainfo)
        for key, value in instances.items():
            arrays.set_field(np.asarray(value), key)
        return super()._draw_instances_kpts(image, arrays, *args, **kwargs)
