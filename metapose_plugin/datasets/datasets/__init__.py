from .h36m_image_dataset import H36MImageDataset
from .h36m_multiview_dataset import H36MMultiViewDataset
from .h36m_sequence_dataset import H36MSequenceDataset
from .mpi_inf_3dhp_sequence_dataset import MPIINF3DHPSequenceDataset

__all__ = [
    'H36MImageDataset', 'H36MMultiViewDataset', 'H36MSequenceDataset',
    'MPIINF3DHPSequenceDataset'
]
