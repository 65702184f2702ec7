"""Risk: certificate checks, indicators, the criterion-7 assessment (docs/risk.md)."""

from transship.risk.certificates import CHECKS, CheckResult, check_certificates, failed, run_checks
from transship.risk.model import Assessment, CertificateCheck, Finding, Indicator

__all__ = [
    "CHECKS",
    "Assessment",
    "CertificateCheck",
    "CheckResult",
    "Finding",
    "Indicator",
    "check_certificates",
    "failed",
    "run_checks",
]
