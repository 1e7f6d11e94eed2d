"""The speed-up of LoadPersonCrop (docs/benchmarks.md): the default decode
still gives the full-frame warp, and reduced decoding picks the JPEG scale
of its rule (>= 0.75 decoded pixel per crop pixel)."""
import glob
import os.path as osp

import cv2
import numpy as np
import pytest

from metapose_plugin.datasets.transforms import LoadPersonCrop, get_crop_affine

REPO = osp.dirname(osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))
FRAME = sorted(glob.glob(osp.join(REPO, 'data', 'h36m_sample', 'S1', '*', '*.jpg')))[0]
SIZE = (192, 256)


def _reference_warp(image, matrix):
    return cv2.warpAffine(image, matrix, SIZE, flags=cv2.INTER_LINEAR)


def _results(scale):
    return dict(img_path=FRAME, center=np.array([500.0, 480.0]),
                scale=np.array([scale, scale]), keypoints=np.zeros((1, 17, 2)))


def _from_decode(flag, factor, scale):
    """Crop warped from a decode at 1/factor (pixel-centre aligned)."""
    decoded = cv2.imdecode(np.fromfile(FRAME, np.uint8), flag)
    offset = (factor - 1) / 2
    to_frame = np.array([[factor, 0, offset], [0, factor, offset], [0, 0, 1]])
    matrix = get_crop_affine((500.0, 480.0), (scale, scale), SIZE)
    return _reference_warp(decoded, matrix @ to_frame)


def test_default_decode_is_the_full_frame_warp():
    out = LoadPersonCrop()(_results(1.6))['img']
    np.testing.assert_array_equal(out, _from_decode(cv2.IMREAD_COLOR, 1, 1.6))


@pytest.mark.parametrize('scale,factor', [(1.4, 1), (1.6, 2), (2.2, 2), (3.2, 4)])
def test_reduced_decode_scale_rule(scale, factor):
    # frame pixels per crop pixel: (200 * scale - 1) / 191
    flag = {1: cv2.IMREAD_COLOR, 2: cv2.IMREAD_REDUCED_COLOR_2,
            4: cv2.IMREAD_REDUCED_COLOR_4}[factor]
    out = LoadPersonCrop(reduced_decode=True)(_results(scale))['img']
    np.testing.assert_array_equal(out, _from_decode(flag, factor, scale))
