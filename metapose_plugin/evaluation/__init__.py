from .metrics import H36MMetric, MPIINF3DHPMetric

__all__ = ['H36MMetric', 'MPIINF3DHPMetric']
