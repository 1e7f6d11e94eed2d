from .keras_adam import KerasAdam

__all__ = ['KerasAdam']
