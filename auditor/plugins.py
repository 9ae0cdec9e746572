"""Public path kept for third-party checks: ``auditor.judge.registry`` is ``auditor.judge.registry``."""
from auditor.judge.registry import *  # noqa: F401,F403
from auditor.judge.registry import GROUP, CheckLoadError, LoadedCheck, classify, find_checks, load_check, run_check  # noqa: F401
