"""auditor: reads every answer in a Jupyter notebook, recomputes the truth, reports."""
from __future__ import annotations

__version__ = "0.1.0"

from auditor.models import AuditResult, ExitCode, Status  # noqa: E402

__all__ = ["audit", "AuditResult", "ExitCode", "Status", "__version__"]


def audit(path, **kwargs) -> AuditResult:
    """Audit one notebook; see ``auditor.pipeline.audit`` for the options."""
    from auditor.pipeline import audit as _audit

    return _audit(path, **kwargs)
