from .context_lifting_head import ContextLiftingHead

__all__ = ['ContextLiftingHead']
