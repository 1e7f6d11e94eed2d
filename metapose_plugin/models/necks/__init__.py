from .capf_context_neck import CAPFContextNeck

__all__ = ['CAPFContextNeck']
