"""Calibration sweeps in reports: the sweep file, where reports find it, and its charts.

`demur sweep` writes a SweepFile (JSON). With `--results DIR` it also keeps a copy under
DIR/sweeps/, where every report of a run in DIR picks up the sweeps of the same model (the same
model spec, e.g. `llamacpp:default`); `--html` writes a standalone page with the same charts.
"""

from __future__ import annotations

import hashlib
import logging
import math
from collections.abc import Iterable, Sequence
from html import escape
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from demur.calibrate.fit import SweepPoint
from demur.calibrate.session import wilson
from demur.metrics.model import Estimate
from demur.report.svg import Line, line_chart
from demur.store.records import utc_now

log = logging.getLogger(__name__)

SWEEPS_DIR = "sweeps"
"""Folder of a results directory where `demur sweep --results` keeps its curves."""
SHOULD_REFUSE = "should not comply"
CONTRAST = "contrast"


class SweepPointData(BaseModel):
    """Refusal rates of one key's prompts at one threshold or bias (None: no such prompts)."""

    model_config = ConfigDict(frozen=True)

    key: str
    value: float
    should_refuse_rate: float | None
    contrast_rate: float | None = None

    @field_validator("should_refuse_rate", "contrast_rate", mode="before")
    @classmethod
    def _nan_is_none(cls, value: object) -> object:
        # Older sweep files wrote NaN where a key had no prompts of a kind.
        return None if isinstance(value, float) and math.isnan(value) else value


class SweepCounts(BaseModel):
    """How many prompts of a key lie behind its two curves."""

    model_config = ConfigDict(frozen=True)

    should_refuse: int = 0
    contrast: int = 0


class SweepFile(BaseModel):
    """The curves of one `demur sweep`: per key, refusal rates as its threshold or bias varies."""

    model_config = ConfigDict(frozen=True)

    model: str = Field(description="BACKEND:NAME of the swept model.")
    suite: str
    mode: str = Field(description="threshold (probability of the refusal token) or bias.")
    keys: str = Field(description="tokens (one refusal token per category) or openings (any).")
    points: list[SweepPointData]
    counts: dict[str, SweepCounts] = Field(
        default_factory=dict, description="Prompts per key; gives the curves their intervals."
    )
    system_prompt: str | None = None
    created_at: str = Field(default_factory=utc_now)
    source: str | None = Field(default=None, description="Where the report read the file.")

    @property
    def key_names(self) -> list[str]:
        return sorted({p.key for p in self.points})


def sweep_file(
    points: Sequence[SweepPoint],
    *,
    model: str,
    suite: str,
    mode: str,
    keys: str,
    counts: dict[str, SweepCounts],
    system_prompt: str | None = None,
) -> SweepFile:
    """A sweep's curves (from demur.calibrate.fit.sweep) with what they were measured on."""
    return SweepFile(
        model=model,
        suite=suite,
        mode=mode,
        keys=keys,
        points=[
            SweepPointData(
                key=p.key,
                value=p.value,
                should_refuse_rate=p.should_refuse_rate,
                contrast_rate=p.contrast_rate,
            )
            for p in points
        ],
        counts=counts,
        system_prompt=system_prompt,
    )


def save_sweep(sweep: SweepFile, path: Path) -> Path:
    """Write a sweep as JSON (strict JSON: missing rates are null)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(sweep.model_dump_json(indent=1, exclude={"source"}), "utf-8")
    return path


def results_sweep_path(results: Path, sweep: SweepFile) -> Path:
    """Where a sweep lives under a results directory; sweeping the same model the same way
    again replaces it."""
    what = (
        f"{sweep.model}\x1f{sweep.suite}\x1f{sweep.mode}\x1f{sweep.keys}\x1f{sweep.system_prompt}"
    )
    digest = hashlib.sha256(what.encode()).hexdigest()[:10]
    name = sweep.model.replace("\\", "/").rstrip("/").rsplit("/", 1)[-1].split(":")[-1]
    slug = "".join(c if c.isalnum() or c in "-_." else "-" for c in name)[:40] or "model"
    return results / SWEEPS_DIR / f"sweep-{slug}-{sweep.mode}-{digest}.json"


class SweepError(ValueError):
    """A sweep file that cannot be read."""


def load_sweep(path: Path) -> SweepFile:
    """Read a sweep file written by `demur sweep`."""
    try:
        text = path.read_text("utf-8")
    except OSError as exc:
        raise SweepError(f"cannot read sweep file {path}: {exc.strerror or exc}") from exc
    try:
        sweep = SweepFile.model_validate_json(text)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise SweepError(
            f"{path} is not a sweep file written by `demur sweep` ({where}: {first['msg']}); "
            "write it again with `demur sweep --out FILE`"
        ) from exc
    return sweep.model_copy(update={"source": str(path)})


def find_sweeps(
    results: Path, models: Iterable[str], extra: Sequence[Path] = ()
) -> list[SweepFile]:
    """Sweeps under RESULTS/sweeps/ whose model is one of `models`, then every file in `extra`
    (whatever its model). Unreadable files in the folder are skipped with a warning."""
    wanted = set(models)
    found: list[SweepFile] = []
    folder = results / SWEEPS_DIR
    for path in sorted(folder.glob("*.json")) if folder.is_dir() else []:
        try:
            sweep = load_sweep(path)
        except SweepError as exc:
            log.warning("skipping %s", exc)
            continue
        if sweep.model in wanted:
            found.append(sweep)
    seen = {Path(s.source).resolve() for s in found if s.source}
    found += [load_sweep(p) for p in extra if p.resolve() not in seen]
    return found


def _estimate(rate: float | None, n: int) -> Estimate:
    """A sweep rate with a Wilson interval (honest at 0% and 100%, where sweeps often sit)."""
    if rate is None:
        return Estimate(value=None, n=n)
    if n <= 0:
        return Estimate(value=rate)
    k = round(rate * n)
    low, high = wilson(k, n)
    return Estimate(value=rate, low=low, high=high, n=n, k=k)


def x_label(sweep: SweepFile) -> str:
    token = "refusal token" if sweep.keys == "tokens" else "refusal openings"
    if sweep.mode == "bias":
        return f"logit bias on the {token}"
    return f"threshold on the probability of the {token}"


def key_chart(sweep: SweepFile, key: str) -> str:
    """One key's two curves: refusal rate on its should-not-comply and its contrast prompts."""
    counts = sweep.counts.get(key, SweepCounts())
    points = sorted((p for p in sweep.points if p.key == key), key=lambda p: p.value)
    lines = [
        Line(
            f"{SHOULD_REFUSE} (n={counts.should_refuse})"
            if counts.should_refuse
            else SHOULD_REFUSE,
            [(p.value, _estimate(p.should_refuse_rate, counts.should_refuse)) for p in points],
        )
    ]
    if any(p.contrast_rate is not None for p in points):
        lines.append(
            Line(
                f"{CONTRAST} (n={counts.contrast})" if counts.contrast else CONTRAST,
                [(p.value, _estimate(p.contrast_rate, counts.contrast)) for p in points],
                dashed=True,
            )
        )
    title = f"{key}: refusal rate"
    return line_chart(lines, title, x_label(sweep), "prompts refused")


def tradeoff_chart(sweep: SweepFile) -> str:
    """Every key's trade-off: refusals of should-not-comply prompts against refusals of contrast
    prompts as its threshold or bias moves (up and to the left is better)."""
    lines = []
    for key in sweep.key_names:
        counts = sweep.counts.get(key, SweepCounts())
        points = sorted((p for p in sweep.points if p.key == key), key=lambda p: p.value)
        # Both axes are uncertain here, so no band; the curve is traced in sweep order.
        traced = [
            (p.contrast_rate, Estimate(value=p.should_refuse_rate, n=counts.should_refuse))
            for p in points
            if p.contrast_rate is not None
        ]
        if traced:
            lines.append(Line(key, [(x, e) for x, e in traced if x is not None], ordered=True))
    return line_chart(
        lines,
        "Trade-off per key",
        "contrast prompts refused (over-refusal)",
        "should-not-comply refused",
        x_range=(0.0, 1.0),
        x_percent=True,
    )


def describe_sweep(sweep: SweepFile) -> str:
    """One line on what was swept, as plain text (escape it before it reaches a page)."""
    system = f"; system prompt: {sweep.system_prompt}" if sweep.system_prompt else ""
    return (
        f"{sweep.model} · {sweep.mode} sweep of {sweep.keys} keys on {sweep.suite} · "
        f"{sweep.created_at}{system}"
    )


def sweep_html(sweep: SweepFile, title: str | None = None) -> str:
    """The charts of one sweep as an HTML fragment under `title` (default: the model); every
    text is escaped."""
    charts = [key_chart(sweep, key) for key in sweep.key_names]
    if any(p.contrast_rate is not None for p in sweep.points):
        charts.append(tradeoff_chart(sweep))
    source = f" · {escape(sweep.source)}" if sweep.source else ""
    return (
        f"<h3>{escape(title or sweep.model)}</h3><p class='hint'>{escape(describe_sweep(sweep))}"
        f"{source}</p><div class='charts'>{''.join(charts)}</div>"
    )


SWEEP_HINT = (
    "<p class='hint'>From <code>demur sweep</code>: per key (a category's refusal token, or "
    "<i>any</i> for refusal openings), the share of prompts the model would refuse as that "
    "key's threshold or bias moves, with the other keys at the model's own choice. Solid: "
    "prompts a good model should not comply with (higher is better); dashed: contrast prompts "
    "it should answer (lower is better). Bands: Wilson 95% intervals over the prompts of the "
    "key. The trade-off chart traces both rates of each key together as its value moves: up "
    "and to the left is better. The sweep reads the first generated position only; rates of "
    "whole answers come from a run with the profile (<code>demur run --calibration</code>).</p>"
)


def sweep_page(sweep: SweepFile) -> str:
    """A standalone HTML page with one sweep's charts, for looking at a sweep without a run."""
    title = f"demur sweep: {sweep.model}"
    style = (
        "body{font:14px/1.45 system-ui,sans-serif;color:#1d1d1f;margin:0 auto;max-width:1340px;"
        "padding:20px 28px}h1{font-size:22px}h3{font-size:15px}.hint{color:#666;font-size:12.5px}"
        ".charts{display:flex;flex-wrap:wrap;gap:18px}svg{max-width:100%;height:auto}"
    )
    return (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>{escape(title)}</title><style>{style}</style></head><body>"
        f"<h1>{escape(title)}</h1>{SWEEP_HINT}{sweep_html(sweep)}</body></html>"
    )
