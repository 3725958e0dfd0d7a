"""The whole pipeline in one Spark application: Dataset-1, embeddings, Dataset-2, Dataset-3 and
tokens, each stage on the executors, as the separate jobs run them (a finished stage is skipped).

spark-submit --master spark://host:7077 jobs/pipeline.py --input hdfs:///raw --output hdfs:///runs/r1
spark-submit --master local[4] jobs/pipeline.py --input DIR --output RUN --until dataset-2

One application instead of five: the driver and executor JVMs start once and the executors' Python
workers import the library once, which on a small corpus is most of the time. The separate jobs
(``jobs/dedup.py``, ``embed.py``, ``semdedup.py``, ``semdedup_hdbscan.py``, ``tokens.py``) give
the same run folder; use them to give one stage other resources (GPU executors for embeddings).
"""

import sys

from curation import cli
from curation.pipeline import dataset1, embeddings, semdedup, tokens
from curation.spark.session import get_spark
from curation.summary import (
    dataset1_table,
    dataset_table,
    embeddings_table,
    pipeline_table,
    run_manifests,
)

STEPS = ("dataset-1", "embeddings", "dataset-2", "dataset-3", "tokens")


def main() -> int:
    ap = cli.parser(__doc__)
    ap.add_argument("--until", choices=STEPS, default=STEPS[-1], help="the last stage to build")
    args = ap.parse_args()
    cfg = cli.config_from_args(args)
    last = STEPS.index(args.until)
    spark = get_spark(cfg.spark)
    cli.ship_package(spark)
    run = args.output
    try:
        print(dataset1_table(dataset1.run(spark, args.input, run, cfg)), flush=True)
        if last >= 1:
            print(embeddings_table(embeddings.run(run, cfg, spark)), flush=True)
        for step, method in ((2, semdedup.KMEANS_METHOD), (3, semdedup.HDBSCAN_METHOD)):
            if last >= step:
                manifest = semdedup.run(run, cfg, method.name, spark)
                print(dataset_table(manifest, method.title), flush=True)
        if last >= 4:
            print(tokens.summary_table(tokens.run(run, cfg, spark)), flush=True)
    finally:
        spark.stop()
    print(pipeline_table(run_manifests(run)))
    return 0


if __name__ == "__main__":
    sys.exit(cli.run_job(main))
