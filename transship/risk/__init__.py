"""Risk: certificate checks, indicators, the criterion-7 assessment."""

from transship.risk.certificates import CHECKS, CheckResult, check_certificates, failed, run_checks

__all__ = ["CHECKS", "CheckResult", "check_certificates", "failed", "run_checks"]
