"""The lifters' notice that MMPose's online windows copy the current frame
into the future: detected only there, logged once."""
import logging

import torch
from mmpose.structures import PoseDataSample

from metapose_plugin.models.utils import frozen_future_warning
from metapose_plugin.models.utils.frozen_future_warning import (FrozenFutureWarning,
                                                                future_is_copied)


def _online_window(frames=9):
    """A window as MMPose's online path cuts it: the centre frame repeated
    after the centre."""
    window = torch.randn(1, frames, 17, 2)
    window[:, frames // 2 + 1:] = window[:, frames // 2:frames // 2 + 1]
    return window


def test_detects_only_copied_futures_without_frame_ids():
    sample = PoseDataSample(metainfo=dict(img_path='000001.jpg'))
    assert future_is_copied(_online_window(), [sample])
    assert not future_is_copied(torch.randn(1, 9, 17, 2), [sample])
    # a dataset or the offline path near a track's end: frames are known
    assert not future_is_copied(_online_window(), [PoseDataSample(metainfo=dict(
        frame_ids=list(range(9))))])
    assert not future_is_copied(_online_window(1), [sample])


def test_logged_once(monkeypatch):
    messages = []
    monkeypatch.setattr(frozen_future_warning, 'print_log',
                        lambda message, **kwargs: messages.append((message, kwargs)))
    warning = FrozenFutureWarning('FinePOSELifter')
    warning.check(torch.randn(1, 9, 17, 2), [PoseDataSample()])
    assert not messages
    for _ in range(3):
        warning.check(_online_window(), [PoseDataSample()])
    assert len(messages) == 1
    message, kwargs = messages[0]
    assert message.startswith('FinePOSELifter: ') and kwargs['level'] == logging.WARNING
    assert "MetaPose3DInferencer (alias 'metapose-3d')" in message
    assert 'projects/metapose/demo/inferencer_demo.py' in message
