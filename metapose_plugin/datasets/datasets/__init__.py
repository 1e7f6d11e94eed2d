from .h36m_actions import H36M_ACTIONS, canonical_action_name
from .h36m_cameras import camera_intrinsics, h36m_camera_param, project_to_2d, world_to_camera
from .h36m_image_dataset import H36MImageDataset
from .h36m_multiview_dataset import H36MMultiViewDataset
from .h36m_sequence_dataset import H36MSequenceDataset
from .mpi_inf_3dhp_sequence_dataset import MPIINF3DHPSequenceDataset

__all__ = [
    'H36MImageDataset', 'H36MMultiViewDataset', 'H36MSequenceDataset', 'H36M_ACTIONS',
    'MPIINF3DHPSequenceDataset', 'camera_intrinsics', 'canonical_action_name',
    'h36m_camera_param', 'project_to_2d', 'world_to_camera'
]
