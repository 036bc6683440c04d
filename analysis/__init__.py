"""eSPPD load lab analysis: results directory -> frames -> diagnosis -> report.

Entry points: `analyze(results_dir, slo=None) -> AnalysisResult` and
`python -m analysis DIR`. Reads only the results directory (docs/DATA-CONTRACT.md).
"""

from analysis.api import EXIT_BAD_INPUT, EXIT_OK, EXIT_SLO_FAILED, AnalysisResult, analyze
from analysis.errors import AnalysisError, DatasetError

__all__ = ["EXIT_BAD_INPUT", "EXIT_OK", "EXIT_SLO_FAILED", "AnalysisError", "AnalysisResult",
           "DatasetError", "analyze"]
