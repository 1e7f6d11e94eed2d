from .feature_reuse import HRNetFeatureCapture, feature_reuse_blocker, lift_from_features
from .metapose_3d_inferencer import MetaPose3DInferencer

__all__ = [
    'HRNetFeatureCapture', 'MetaPose3DInferencer', 'feature_reuse_blocker', 'lift_from_features'
]
