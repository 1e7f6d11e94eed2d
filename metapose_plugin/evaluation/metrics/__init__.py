from .h36m_metric import H36MMetric
from .h36m_sequence_metric import H36MSequenceMetric

__all__ = ['H36MMetric', 'H36MSequenceMetric']
