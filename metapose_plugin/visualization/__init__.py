from .metapose_3d_local_visualizer import MetaPose3dLocalVisualizer

__all__ = ['MetaPose3dLocalVisualizer']
