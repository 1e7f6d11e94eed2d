from .h36m_actions import H36M_ACTIONS, canonical_action_name
from .h36m_image_dataset import H36MImageDataset

__all__ = ['H36MImageDataset', 'H36M_ACTIONS', 'canonical_action_name']
