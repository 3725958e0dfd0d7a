"""Token-ready output: tokenizer, shuffled fixed-length sequences, shards, mixture, efficiency.

python jobs/tokens.py --run RUN [--config PRESET] [--set tokens.context_length=2048]
python jobs/tokens.py --run RUN --set tokens.tokenizer=path/to/tokenizer.json \
    --set 'tokens.compare=[builtin:all-MiniLM-L6-v2]'
spark-submit jobs/tokens.py --run hdfs:///runs/r1   # --engine spark: tokenized and written by the executors

(Not ``jobs/tokenize.py``: Python puts the script's folder first on the import path, and a script
named ``tokenize`` would be imported in place of the standard library's ``tokenize`` module.)
"""

import sys

from curation import cli
from curation.pipeline import tokens


def main() -> int:
    args = cli.run_parser(__doc__).parse_args()
    cfg = cli.config_from_args(args)
    with cli.engine_session(args, cfg) as spark:
        manifest = tokens.run(args.run, cfg, spark)
    print(tokens.summary_table(manifest))
    print(f"written to {args.run}/tokens (efficiency: efficiency.md, weights: mixture.json)")
    return 0


if __name__ == "__main__":
    sys.exit(cli.run_job(main))
