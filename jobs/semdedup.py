"""Dataset-2: SemDedup with k-means over the embeddings of Dataset-1.

python jobs/semdedup.py --run RUN [--config PRESET] [--set semdedup.target_removal=0.3]
spark-submit jobs/semdedup.py --run hdfs:///runs/r1   # --engine spark: every step on the executors
"""

import sys

from curation import cli
from curation.pipeline import semdedup
from curation.summary import dataset_table


def main() -> int:
    args = cli.run_parser(__doc__).parse_args()
    cfg = cli.config_from_args(args)
    with cli.engine_session(args, cfg) as spark:
        manifest = semdedup.run(args.run, cfg, "kmeans", spark)
    print(dataset_table(manifest, semdedup.KMEANS_METHOD.title))
    return 0


if __name__ == "__main__":
    sys.exit(cli.run_job(main))
