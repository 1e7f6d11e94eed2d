from .multiview_losses import teacher_student_loss

__all__ = ['teacher_student_loss']
