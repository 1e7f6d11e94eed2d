from .capf_context_neck import CAPFContextNeck
from .metapose_neck import MetaPoseNeck
from .semantic_enhancer import SemanticEnhancer
from .spatial_enhancer import SpatialEnhancer
from .transformation_alignment import TransformationAlignment

__all__ = [
    'CAPFContextNeck', 'MetaPoseNeck', 'SemanticEnhancer', 'SpatialEnhancer',
    'TransformationAlignment'
]
