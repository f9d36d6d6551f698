#!/usr/bin/env bash
# The tuning proof of issue 6: SmolLM2-135M-Instruct base against LoRA and full fine-tunes with
# refusal tokens, on a frozen sample of the built-in suites, plus the general-ability check.
# Usage: scripts/train_proof.sh STAGE   (stages: data, train-lora, train-full, eval MODEL NAME, table)
# Every stage resumes: re-running a finished `demur run` reuses its stored completions.
set -euo pipefail
cd "$(dirname "$0")/.."
R=demur-results/train
# The machine is shared (2 cores, many jobs): one thread per process that never spins waiting for
# another is scheduled far better than two that must meet at every barrier.
export OMP_WAIT_POLICY=PASSIVE OMP_NUM_THREADS=1
case "${1:-}" in
  data)
    mkdir -p $R/eval
    cp src/demur/suites/builtin/noncompliance.jsonl $R/eval/noncompliance.jsonl
    cp src/demur/suites/builtin/contrast.jsonl $R/eval/contrast.jsonl
    .venv/bin/demur synth --out $R/synth-polite.jsonl --per-subcategory 20 --contrast-variants 2
    ;;
  train-lora)
    .venv/bin/demur train $R/synth-polite.jsonl --out "${OUT:-demur-results/models/refusal-tokens-lora-merged}" \
      --method lora --max-steps 20 --batch-size 4 --learning-rate 2e-3 --warmup-steps 2 \
      --checkpoint-every 5 --max-length 160 --threads 1 --resume
    ;;
  train-full)
    .venv/bin/demur train $R/synth-polite.jsonl --out demur-results/models/refusal-tokens-full \
      --method full --max-steps 20 --batch-size 4 --learning-rate 1e-4 --warmup-steps 2 \
      --checkpoint-every 5 --max-length 160 --threads 1 --resume
    ;;
  eval)
    model=$2 name=$3
    .venv/bin/demur run --model "$model" --suite $R/eval/noncompliance.jsonl --sample 40 \
      --max-tokens 32 --results $R/proof --no-report
    .venv/bin/demur run --model "$model" --suite $R/eval/contrast.jsonl --sample 30 \
      --max-tokens 32 --results $R/proof --no-report
    .venv/bin/python scripts/train_general.py "$model" > $R/general-$name.json
    ;;
  table)
    .venv/bin/python scripts/train_table.py $R
    ;;
  *) echo "usage: $0 data|train-lora|train-full|eval MODEL NAME|table" >&2; exit 2 ;;
esac
