"""Token-ready output: tokenizer, shuffled fixed-length sequences, shards, mixture, efficiency.

python jobs/tokens.py --run RUN [--config PRESET] [--set tokens.context_length=2048]
python jobs/tokens.py --run RUN --set tokens.tokenizer=path/to/tokenizer.json \
    --set 'tokens.compare=[builtin:all-MiniLM-L6-v2]'

(Not ``jobs/tokenize.py``: Python puts the script's folder first on the import path, and a script
named ``tokenize`` would be imported in place of the standard library's ``tokenize`` module.)
"""

import sys

from curation import cli
from curation.pipeline import tokens


def main() -> int:
    ap = cli.run_parser(__doc__)
    args = ap.parse_args()
    if args.engine != "local":
        ap.error("the token stage runs on a local process pool (tokens.workers); no --engine spark")
    cfg = cli.config_from_args(args)
    manifest = tokens.run(args.run, cfg)
    print(tokens.summary_table(manifest))
    print(f"written to {args.run}/tokens (efficiency: efficiency.md, weights: mixture.json)")
    return 0


if __name__ == "__main__":
    sys.exit(cli.run_job(main))
