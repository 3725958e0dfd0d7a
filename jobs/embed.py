"""Embeddings of every Dataset-1 document into <run>/embeddings (stage 4), resumable per shard.

python jobs/embed.py --run RUN [--config PRESET] [--set embed.key=value] [--engine local|spark]
spark-submit --master spark://host:7077 jobs/embed.py --run hdfs:///runs/r1    # one task per shard

Local (the default from ``python``): this process, one model, a progress bar in docs/s. Spark (the
default under ``spark-submit``): one task per Dataset-1 shard, one model per Python worker.
"""

import sys

from curation import cli
from curation.pipeline import embeddings


def summary(manifest: dict) -> str:
    """Documents per domain and the embedding rate."""
    lines = [
        f"Embeddings ({manifest['model']}, {manifest['dim']}-d, stored as {manifest['dtype']})",
        f"{'domain':<20}{'documents':>12}",
        "-" * 32,
    ]
    lines += [f"{d:<20}{n:>12}" for d, n in manifest["per_domain"].items()]
    lines.append(f"{'TOTAL':<20}{manifest['rows']:>12}")
    lines.append(
        f"{manifest['computed_docs']} documents embedded in {manifest['computed_shards']} shards "
        f"({manifest['docs_per_s']:.1f} docs/s, {', '.join(manifest['precision'])} on "
        f"{', '.join(manifest['devices']) or '-'}, {manifest['engine']}); "
        f"{manifest['reused_shards']} shards already done; {manifest['elapsed_s']:.1f} s in all"
    )
    return "\n".join(lines)


def main() -> int:
    args = cli.run_parser(__doc__).parse_args()
    cfg = cli.config_from_args(args)
    with cli.engine_session(args, cfg) as spark:
        manifest = embeddings.run(args.run, cfg, spark=spark)
    print(summary(manifest))
    return 0


if __name__ == "__main__":
    sys.exit(cli.run_job(main))
