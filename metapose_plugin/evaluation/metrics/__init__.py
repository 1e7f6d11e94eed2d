from .h36m_metric import H36MMetric
from .h36m_multi_hypothesis_metric import H36MMultiHypothesisMetric
from .h36m_sequence_metric import H36MSequenceMetric
from .mpi_inf_3dhp_metric import MPIINF3DHPMetric
from .mpm_completion_metric import MPMCompletionMetric
from .multiview_metapose_metric import MultiViewMetaPoseMetric

__all__ = [
    'H36MMetric', 'H36MMultiHypothesisMetric', 'H36MSequenceMetric', 'MPIINF3DHPMetric',
    'MPMCompletionMetric', 'MultiViewMetaPoseMetric'
]
