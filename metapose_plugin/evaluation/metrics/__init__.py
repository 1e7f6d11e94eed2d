from .h36m_metric import H36MMetric

__all__ = ['H36MMetric']
