"""MMPose's Human3.6M metainfo (17 joints): the one source of the skeleton,
left/right swap and joint names of every H36M dataset, test helper and tool
of the plugin."""
from functools import lru_cache
from typing import List

from mmpose.datasets.datasets.utils import parse_pose_metainfo

#: ``METAINFO`` of the H36M datasets: MMPose's metainfo file, resolved inside
#: the installed mmpose package.
H36M_METAINFO: dict = dict(from_file='configs/_base_/datasets/h36m.py')


@lru_cache(maxsize=1)
def _parsed() -> dict:
    return parse_pose_metainfo(dict(H36M_METAINFO))


def h36m_flip_indices() -> List[int]:
    """Joint k of a mirrored H36M pose is joint ``h36m_flip_indices()[k]``."""
    return list(_parsed()['flip_indices'])
