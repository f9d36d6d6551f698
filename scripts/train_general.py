"""Score a model on demur's general-ability items; prints JSON (used by train_proof.sh)."""

from __future__ import annotations

import asyncio
import json
import sys

from demur.backends.registry import create_backend
from demur.train.general import score_general


async def main(model: str) -> None:
    backend = create_backend(model)
    try:
        score = await score_general(backend)
    finally:
        await backend.aclose()
    answers = [{"id": i, "text": t, "correct": ok} for i, t, ok in score.answers]
    result = {"model": model, "correct": score.correct, "total": score.total}
    print(json.dumps(result | {"accuracy": score.accuracy, "answers": answers}, indent=1))


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1]))
