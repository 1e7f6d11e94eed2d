from .metapose_3d_local_visualizer import MetaPose3dLocalVisualizer, to_plot_frame

__all__ = ['MetaPose3dLocalVisualizer', 'to_plot_frame']
