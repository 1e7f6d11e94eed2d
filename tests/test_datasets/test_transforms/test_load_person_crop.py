import time

import cv2
import numpy as np
import pytest

from metapose_plugin.datasets.transforms import (LoadPersonCrop,
                                                 get_crop_affine)


def _spec_affine(center, scale0, width, height):
    """SPEC section 1 from three point pairs, solved by OpenCV."""
    src_half = (200 * scale0 - 1) / 2
    dst_half = (width - 1) / 2
    dst_c = np.array([(width - 1) / 2, (height - 1) / 2])
    src = np.float32([center, center + [0, -src_half],
                      center + [src_half, -src_half]])
    dst = np.float32(
        [dst_c, dst_c + [0, -dst_half], dst_c + [dst_half, -dst_half]])
    return cv2.getAffineTransform(src, dst)


@pytest.mark.parametrize('center,scale', [((473.6, 466.9), 2.2),
                                          ((120.0, 800.5), 0.7)])
def test_affine_matches_spec(center, scale):
    expected = _spec_affine(np.array(center), scale, 192, 256)
    matrix = get_crop_affine(center, (scale, 9.0), (192, 256))
    np.testing.assert_allclose(matrix, expected, atol=1e-4)


def _frame_with_dot(tmp_path, dot, size=(1000, 1002)):
    """A smooth grey frame with one bright Gaussian blob at ``dot``."""
    w, h = size
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float64)
    blob = np.exp(-((xs - dot[0])**2 + (ys - dot[1])**2) / (2 * 20.0**2))
    img = np.repeat((40 + 200 * blob)[..., None], 3, 2).astype(np.uint8)
    path = str(tmp_path / 'frame.png')
    cv2.imwrite(path, img)
    jpg = str(tmp_path / 'frame.jpg')
    cv2.imwrite(jpg, img, [cv2.IMWRITE_JPEG_QUALITY, 98])
    return path, jpg


def _peak(img):
    """Sub-pixel peak of a blob: intensity-weighted centroid near the max."""
    grey = img[..., 0].astype(np.float64) - 40
    grey[grey < 0.05 * grey.max()] = 0
    ys, xs = np.mgrid[0:grey.shape[0], 0:grey.shape[1]]
    return np.array([(xs * grey).sum(), (ys * grey).sum()]) / grey.sum()


@pytest.mark.parametrize('reduced', [False, True])
def test_image_and_keypoints_line_up(tmp_path, reduced):
    dot = np.array([431.3, 577.8])
    png, jpg = _frame_with_dot(tmp_path, dot)
    results = dict(
        img_path=jpg if reduced else png,
        center=np.array([480.0, 520.0]),
        scale=np.array([4.3, 4.3]),  # 860 px: >= 4 frame px per crop px
        keypoints=dot[None, None])
    out = LoadPersonCrop(reduced_decode=reduced)(results)
    assert out['img'].shape == (256, 192, 3)
    assert out['img'].dtype == np.uint8
    assert out['keypoints'].shape == (1, 1, 2)
    assert out['img_shape'] == (256, 192)
    if reduced:  # 1/4 decode: size rounded up to a multiple of 4
        assert out['ori_shape'] == (1004, 1000)
    else:
        assert out['ori_shape'] == (1002, 1000)
    # the blob's peak in the crop sits on the mapped keypoint
    np.testing.assert_allclose(_peak(out['img']), out['keypoints'][0, 0],
                               atol=0.1 if not reduced else 0.3)


def test_reduced_decode_is_close_to_full_decode(tmp_path):
    _, jpg = _frame_with_dot(tmp_path, (500.0, 500.0))
    results = dict(
        img_path=jpg,
        center=np.array([500.0, 500.0]),
        scale=np.array([2.2, 2.2]),
        keypoints=np.zeros((1, 17, 2)))
    full = LoadPersonCrop()(dict(results))['img'].astype(np.float64)
    reduced = LoadPersonCrop(reduced_decode=True)(dict(results))['img']
    assert np.abs(full - reduced).mean() < 2.0


def test_precropped_and_bad_keypoints(tmp_path):
    crop = np.random.RandomState(0).randint(0, 255, (256, 192, 3), np.uint8)
    path = str(tmp_path / 'crop.png')
    cv2.imwrite(path, crop)
    results = dict(
        img_path=path,
        img_precropped=True,
        center=np.array([500.0, 500.0]),
        scale=np.array([2.0, 2.0]),
        keypoints=np.array([[[500.0, 500.0]]]),
        sample_idx=7)
    out = LoadPersonCrop()(dict(results))
    np.testing.assert_array_equal(out['img'], crop)
    np.testing.assert_allclose(out['keypoints'][0, 0], [95.5, 127.5])
    with pytest.raises(ValueError, match='sample 7.*expected 160x256'):
        LoadPersonCrop(input_size=(160, 256))(dict(results))
    with pytest.raises(ValueError, match=r'sample 7.*keypoints.*\(1, K, 2\)'):
        LoadPersonCrop()(dict(results, keypoints=np.zeros((17, 3))))


def test_decode_crop_speed_report(tmp_path):
    """Not a gate (the CI machine is shared): prints frames/s of load+crop."""
    frame = np.random.RandomState(0).randint(0, 255, (1002, 1000, 3),
                                             np.uint8)
    frame = cv2.GaussianBlur(frame, (0, 0), 3)
    path = str(tmp_path / 'f.jpg')
    cv2.imwrite(path, frame)
    results = dict(
        img_path=path,
        center=np.array([500.0, 500.0]),
        scale=np.array([2.2, 2.2]),
        keypoints=np.zeros((1, 17, 2)))
    for reduced in (False, True):
        transform = LoadPersonCrop(reduced_decode=reduced)
        start = time.perf_counter()
        for _ in range(20):
            transform(dict(results))
        rate = 20 / (time.perf_counter() - start)
        print(f'reduced_decode={reduced}: {rate:.0f} frames/s')
        assert rate > 0
