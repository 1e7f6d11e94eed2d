from typing import Optional, Tuple

import cv2
import numpy as np
from mmcv.transforms import BaseTransform
from mmengine import fileio
from mmpose.registry import TRANSFORMS

from .crop_affine import apply_affine, get_crop_affine

_REDUCED_FLAGS = ((8, cv2.IMREAD_REDUCED_COLOR_8),
                  (4, cv2.IMREAD_REDUCED_COLOR_4),
                  (2, cv2.IMREAD_REDUCED_COLOR_2))
# reduced_decode keeps at least this many decoded pixels per crop pixel. At
# 0.75 (e.g. 1/2 decode for a 1.5x downsampling crop) the crop differs from
# the full-decode one by about as much as at the 1/2 decode of a 2.1x crop
# (mean |diff| 1.2 vs 1.6 grey levels on the H36M sample frames): the DCT
# downscale low-passes where bilinear warping of the full frame aliases.
_MIN_DECODED_PX_PER_CROP_PX = 0.75
_JPEG_START, _JPEG_END = b'\xff\xd8', b'\xff\xd9'
_NO_IMAGE_MESSAGE = (
    'LoadPersonCrop got a sample without an image path ({keys}). The image-based '
    'lifters of metapose_plugin (CA-PF, MetaPose) need the frame itself, and '
    "MMPose's MMPoseInferencer(pose3d=...) / Pose3DInferencer hand a 3D lifter only "
    '2D keypoint sequences. Run such configs with metapose_plugin\'s '
    "MetaPose3DInferencer (inferencer alias 'metapose-3d'), or "
    'projects/metapose/demo/inferencer_demo.py --pose3d CONFIG.')


@TRANSFORMS.register_module()
class LoadPersonCrop(BaseTransform):
    """Decode a frame once and warp it to the person crop (SPEC section 1).

    The crop affine (:func:`get_crop_affine`, from ``center`` and
    ``scale[0]``) is applied to the image with ``cv2.warpAffine`` (bilinear,
    zero border) and to ``keypoints``, which go from full-frame pixels to
    crop pixels (x in [0, W - 1], y in [0, H - 1] for points inside the
    crop), so image and keypoints line up exactly.

    With ``results['img_precropped']`` True the file already is the
    (H, W) crop: it is decoded as is (its size is checked) and only the
    keypoints are mapped.

    Required keys: ``img_path``, ``center`` (2,), ``scale`` (2,),
    ``keypoints`` (1, K, 2) frame pixels. Optional: ``img_precropped``,
    ``sample_idx`` (named in errors).

    Modified keys: ``keypoints`` (crop pixels, float32). Added keys: ``img``
    (H, W, 3) uint8 BGR, ``img_shape`` (H, W), ``ori_shape`` (h, w of the
    decoded file; with ``reduced_decode`` the reduced size times the factor,
    so rounded up to a multiple of it), ``input_size`` (W, H),
    ``input_center``, ``input_scale``.

    Args:
        input_size (tuple[int, int]): Crop size (W, H). Defaults to
            (192, 256).
        reduced_decode (bool): Decode JPEGs at 1/2, 1/4 or 1/8 size
            (``cv2.IMREAD_REDUCED_COLOR_*``, the largest factor that still
            has at least 0.75 decoded pixel per crop pixel) and warp from
            there. About 3x faster on H36M frames (docs/benchmarks.md), but
            the pixels differ slightly from the reference crop. Defaults to
            False.
        backend_args (dict, optional): File backend of
            :func:`mmengine.fileio.get`. Defaults to None (local files).
    """

    def __init__(self,
                 input_size: Tuple[int, int] = (192, 256),
                 reduced_decode: bool = False,
                 backend_args: Optional[dict] = None):
        self.input_size = tuple(input_size)
        self.reduced_decode = reduced_decode
        self.backend_args = None if backend_args is None else dict(
            backend_args)

    def _read_bytes(self, path: str, where: str) -> np.ndarray:
        try:
            content = fileio.get(path, backend_args=self.backend_args)
        except (FileNotFoundError, OSError) as error:
            raise FileNotFoundError(
                f'{where}: cannot read image {path!r} ({error})') from None
        if content[:2] == _JPEG_START and content.rstrip(
                b'\x00')[-2:] != _JPEG_END:
            raise ValueError(f'{where}: image {path!r} is a truncated JPEG '
                             '(no end-of-image marker)')
        return np.frombuffer(content, dtype=np.uint8)

    def _decode(self, buffer: np.ndarray, flag: int, path: str,
                where: str) -> np.ndarray:
        img = cv2.imdecode(buffer, flag)
        if img is None:
            raise ValueError(f'{where}: cannot decode image {path!r}')
        return img

    def _reduction(self, matrix: np.ndarray) -> Tuple[int, int]:
        """The largest JPEG reduction factor not finer than the crop."""
        frame_px_per_crop_px = 1.0 / matrix[0, 0]
        if self.reduced_decode:
            for factor, flag in _REDUCED_FLAGS:
                if factor * _MIN_DECODED_PX_PER_CROP_PX <= frame_px_per_crop_px:
                    return factor, flag
        return 1, cv2.IMREAD_COLOR

    def transform(self, results: dict) -> dict:
        """Load, crop and map the keypoints of one sample."""
        if 'img_path' not in results:
            raise ValueError(_NO_IMAGE_MESSAGE.format(keys=', '.join(sorted(results))))
        path = results['img_path']
        where = f'sample {results.get("sample_idx", "?")}'
        width, height = self.input_size
        matrix = get_crop_affine(results['center'], results['scale'],
                                 self.input_size)
        keypoints = np.asarray(results['keypoints'], dtype=np.float64)
        if keypoints.ndim != 3 or keypoints.shape[-1] != 2:
            raise ValueError(f'{where}: keypoints of {path!r} have shape '
                             f'{keypoints.shape}, expected (1, K, 2)')
        buffer = self._read_bytes(path, where)
        if results.get('img_precropped', False):
            img = self._decode(buffer, cv2.IMREAD_COLOR, path, where)
            if img.shape[:2] != (height, width):
                raise ValueError(
                    f'{where}: pre-cropped image {path!r} has size '
                    f'{img.shape[1]}x{img.shape[0]}, expected '
                    f'{width}x{height}')
            ori_shape = img.shape[:2]
        else:
            factor, flag = self._reduction(matrix)
            frame = self._decode(buffer, flag, path, where)
            # reduced pixel i covers frame pixels factor*i .. factor*i+f-1
            offset = (factor - 1) / 2
            to_frame = np.array([[factor, 0, offset], [0, factor, offset],
                                 [0, 0, 1]])
            img = cv2.warpAffine(
                frame,
                matrix @ to_frame, (width, height),
                flags=cv2.INTER_LINEAR)
            ori_shape = frame.shape[0] * factor, frame.shape[1] * factor
        results.update(
            img=img,
            img_shape=(height, width),
            ori_shape=tuple(ori_shape),
            input_size=self.input_size,
            input_center=np.asarray(results['center'], np.float32),
            input_scale=np.asarray(results['scale'], np.float32),
            keypoints=apply_affine(keypoints, matrix).astype(np.float32))
        return results

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(input_size={self.input_size}, '
                f'reduced_decode={self.reduced_decode})')
