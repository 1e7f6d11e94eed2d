from .capf_context_neck import CAPFContextNeck
from .metapose import MetaPoseNeck, SemanticEnhancer, SpatialEnhancer, TransformationAlignment

__all__ = [
    'CAPFContextNeck', 'MetaPoseNeck', 'SemanticEnhancer', 'SpatialEnhancer',
    'TransformationAlignment'
]
