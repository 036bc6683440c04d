"""Results of other load tools into the results contract, then the normal analysis.

`run_campaign.py --import TOOL FILE [--collectors DIR]`: ab's `-g` TSV, JMeter's
JTL (CSV), k6's `--out json` and Locust's own `--csv` history each become
requests.csv, errors.csv, users.csv, events.jsonl and campaign.toml, next to the
files the standalone collectors wrote while that tool ran.
"""

from importers.contract import ImportFailed, import_results
from importers.tools import TOOLS

__all__ = ["TOOLS", "ImportFailed", "import_results"]
