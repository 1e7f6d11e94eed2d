from .metrics import (H36MMetric, H36MMultiHypothesisMetric, H36MSequenceMetric, MPIINF3DHPMetric,
                      MPMCompletionMetric, MultiViewMetaPoseMetric)

__all__ = [
    'H36MMetric', 'H36MMultiHypothesisMetric', 'H36MSequenceMetric', 'MPIINF3DHPMetric',
    'MPMCompletionMetric', 'MultiViewMetaPoseMetric'
]
