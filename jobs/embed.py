"""Embeddings of every Dataset-1 document into <run>/embeddings (stage 4), resumable per shard.

python jobs/embed.py --run RUN [--config PRESET] [--set embed.key=value] [--engine local|spark]
spark-submit --master spark://host:7077 jobs/embed.py --run hdfs:///runs/r1    # one task per shard

Local (the default from ``python``): this process, one model, a progress bar in docs/s. Spark (the
default under ``spark-submit``): one task per Dataset-1 shard, one model per Python worker.
"""

import sys

from curation import cli
from curation.pipeline import embeddings
from curation.summary import embeddings_table


def main() -> int:
    args = cli.run_parser(__doc__).parse_args()
    cfg = cli.config_from_args(args)
    with cli.engine_session(args, cfg) as spark:
        manifest = embeddings.run(args.run, cfg, spark=spark)
    print(embeddings_table(manifest))
    return 0


if __name__ == "__main__":
    sys.exit(cli.run_job(main))
