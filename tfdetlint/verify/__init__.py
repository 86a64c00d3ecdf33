"""``tfdetlint verify``: confirm static findings by running probes in fresh TF processes.

Importing this package never imports TensorFlow; only worker subprocesses do.
"""

from tfdetlint.verify.core import (
    TF_MISSING_MESSAGE,
    VERDICTS,
    TensorFlowMissing,
    Verdict,
    tensorflow_available,
    verify_findings,
)

__all__ = [
    "TF_MISSING_MESSAGE",
    "VERDICTS",
    "TensorFlowMissing",
    "Verdict",
    "tensorflow_available",
    "verify_findings",
]
