"""Dataset-1: language ID, MD5 exact dedup and length filter on Spark.

spark-submit --master local[4] jobs/dedup.py --input DIR --output RUN [--config PRESET] [--set k=v]
spark-submit --master spark://host:7077 jobs/dedup.py --input hdfs:///raw --output hdfs:///runs/r1
"""

import sys

from curation import cli
from curation.pipeline import dataset1
from curation.spark.session import get_spark
from curation.summary import dataset1_table


def main() -> int:
    args = cli.parser(__doc__).parse_args()
    cfg = cli.config_from_args(args)
    spark = get_spark(cfg.spark)
    cli.ship_package(spark)
    try:
        manifest = dataset1.run(spark, args.input, args.output, cfg)
    finally:
        spark.stop()
    print(dataset1_table(manifest))
    return 0


if __name__ == "__main__":
    sys.exit(cli.run_job(main))
