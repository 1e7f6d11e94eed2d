from .inferencers import MetaPose3DInferencer

__all__ = ['MetaPose3DInferencer']
