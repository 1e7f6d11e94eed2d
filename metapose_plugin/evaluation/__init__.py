from .metrics import H36MMetric

__all__ = ['H36MMetric']
