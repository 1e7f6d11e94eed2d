from .regression_heads import ContextLiftingHead

__all__ = ['ContextLiftingHead']
