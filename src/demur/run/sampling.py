"""Stratified sampling of prompts, so a small default run still covers every group."""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Sequence

from demur.suites.model import Prompt


def stratum(prompt: Prompt) -> tuple[str, str, str, str, str]:
    return (
        prompt.suite,
        prompt.category,
        prompt.subcategory,
        prompt.expected.value,
        prompt.language,
    )


def stratified_sample(prompts: Sequence[Prompt], size: int | None, seed: int = 0) -> list[Prompt]:
    """About `size` prompts with every stratum represented in proportion (at least one each,
    while size allows), in the original order. None or a size >= len(prompts) keeps all."""
    if size is None or size >= len(prompts):
        return list(prompts)
    groups: dict[tuple[str, ...], list[int]] = defaultdict(list)
    for index, prompt in enumerate(prompts):
        groups[stratum(prompt)].append(index)
    rng = random.Random(seed)
    quotas = {key: size * len(members) / len(prompts) for key, members in groups.items()}
    take = {key: max(1, int(q)) for key, q in quotas.items()}
    while sum(take.values()) > size and max(take.values()) > 1:
        shrinkable = [k for k in take if take[k] > 1]
        take[max(shrinkable, key=lambda k: take[k] - quotas[k])] -= 1
    # Fill what is left by largest remainder, ties broken by the seeded generator.
    order = sorted(groups, key=lambda k: (-(quotas[k] - take[k]), rng.random()))
    for key in order:
        if sum(take.values()) >= size:
            break
        if take[key] < len(groups[key]):
            take[key] += 1
    chosen: list[int] = []
    for key, members in groups.items():
        chosen.extend(rng.sample(members, min(take[key], len(members))))
    return [prompts[i] for i in sorted(chosen)]
