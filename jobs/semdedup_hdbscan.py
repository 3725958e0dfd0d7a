"""Dataset-3: SemDedup with UMAP + HDBSCAN clusters on the small domains of Dataset-2 (stage 6).

python jobs/semdedup_hdbscan.py --run RUN [--config PRESET] [--set hdbscan.target_clusters=764]
spark-submit jobs/semdedup_hdbscan.py --run hdfs:///runs/r1          # --engine spark

Which domains are clustered this way, and how, comes from the preset's ``hdbscan`` section; every
other domain passes from Dataset-2 unchanged. UMAP + HDBSCAN runs on one node (cuML on a GPU when
installed, umap-learn + hdbscan on CPU otherwise; on Spark: the driver, at most
hdbscan.max_documents documents); with --engine spark everything else runs on the executors.
"""

import sys

from curation import cli
from curation.pipeline import semdedup
from curation.summary import dataset_table


def main() -> int:
    args = cli.run_parser(__doc__).parse_args()
    cfg = cli.config_from_args(args)
    with cli.engine_session(args, cfg) as spark:
        manifest = semdedup.run(args.run, cfg, "hdbscan", spark)
    print(dataset_table(manifest, semdedup.HDBSCAN_METHOD.title))
    return 0


if __name__ == "__main__":
    sys.exit(cli.run_job(main))
