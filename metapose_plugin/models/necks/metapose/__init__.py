"""MetaPose's necks: spatial and semantic enhancers, transformation alignment."""
from .metapose_neck import MetaPoseNeck
from .semantic_enhancer import SemanticEnhancer
from .spatial_enhancer import SpatialEnhancer
from .transformation_alignment import TransformationAlignment

__all__ = ['MetaPoseNeck', 'SemanticEnhancer', 'SpatialEnhancer', 'TransformationAlignment']
