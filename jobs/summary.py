"""The pipeline's summary table of a run: documents per domain after every stage, % removed.

python jobs/summary.py --run RUN [--json]
"""

import argparse
import json
import sys

from curation import cli
from curation.summary import pipeline_rows, pipeline_table, run_manifests


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--run", required=True, help="run folder")
    ap.add_argument("--json", action="store_true", help="print the rows as JSON")
    args = ap.parse_args()
    manifests = run_manifests(args.run)
    print(
        json.dumps(pipeline_rows(manifests), indent=1) if args.json else pipeline_table(manifests)
    )
    return 0


if __name__ == "__main__":
    sys.exit(cli.run_job(main))
