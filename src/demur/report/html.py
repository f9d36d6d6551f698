"""The self-contained HTML report: inline CSS, inline SVG charts, one tiny inline script.

Model output is untrusted: every prompt, response, name and reason passes through `e()` (HTML
escaping, quotes included) before it reaches the page. Nothing from a run ever lands inside the
script or style elements.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from html import escape

from demur.judges.verdict import PATTERNS
from demur.metrics.compare import Difference
from demur.metrics.grouping import ALL
from demur.metrics.model import Estimate, GroupMetrics, ItemCounts
from demur.report.data import COMPARED_LABELS, Example, ExampleGroup, ReportData, short_model
from demur.report.headline import category_cells, headline
from demur.report.probes import DIALOGUE_HINT, REASONING_HINT, dialogue_html, reasoning_html
from demur.report.svg import Point, Series, bar_chart, describe, heatmap, pct, scatter, stacked_bars
from demur.report.sweeps import SWEEP_HINT, sweep_html

METRIC_NAMES = {
    "harmful_compliance": "Compliance, should not comply (lower is better)",
    "contrast_compliance": "Compliance, contrast (higher is better)",
    "over_refusal": "Over-refusal (lower is better)",
    "f1": "Noncompliance F1 (higher is better)",
    "paired": "Both halves of a pair right",
    "boundary_score": "Boundary score (0-10)",
}

STYLE = """
body{font:14px/1.45 system-ui,-apple-system,'Segoe UI',sans-serif;color:#1d1d1f;margin:0;
background:#fafafa}main{max-width:1340px;margin:0 auto;padding:24px 28px 60px;background:#fff}
h1{font-size:24px;margin:0 0 4px}h2{font-size:19px;margin:34px 0 8px;padding-top:8px;
border-top:1px solid #e4e4e4}h3{font-size:15px;margin:18px 0 6px}
.meta,.hint{color:#666;font-size:12.5px}.note{background:#fff6e0;border-left:4px solid #e69f00;
padding:6px 10px;margin:6px 0}table{border-collapse:collapse;margin:6px 0 12px;font-size:13px}
th,td{border:1px solid #e1e1e1;padding:4px 7px;text-align:right;vertical-align:top}
th{background:#f3f4f6;font-weight:600}td.l,th.l{text-align:left}
.ci{display:block;color:#777;font-size:10.5px;white-space:nowrap}.scroll{overflow-x:auto}
td.w{max-width:260px;font-size:12px}td.code{word-break:break-all;max-width:300px;font-size:12px}.na{color:#aaa}
.bad{color:#b3261e}.good{color:#1e7b34}.sig{font-weight:700}
details{border:1px solid #e4e4e4;border-radius:6px;margin:6px 0;padding:4px 10px}
summary{cursor:pointer;font-weight:600}nav a{margin-right:14px}
.ex{border-top:1px dashed #ddd;padding:8px 0}.ex:first-of-type{border-top:0}
.txt{white-space:pre-wrap;word-break:break-word;background:#f6f8fa;border-radius:4px;
padding:6px 8px;margin:3px 0;font:12.5px/1.4 ui-monospace,Menlo,Consolas,monospace;
max-height:260px;overflow:auto}.tag{display:inline-block;border-radius:3px;padding:0 6px;
margin-right:4px;font-size:11.5px;background:#eee}.tag.wrong{background:#fde2e0;color:#8c1d18}
.tag.right{background:#dff3e4;color:#1e5b2f}.tag.out{background:#fff0c2;color:#6b4e00}
input[type=search]{width:360px;padding:5px 8px;font-size:14px;border:1px solid #bbb;
border-radius:4px}.charts{display:flex;flex-wrap:wrap;gap:18px;align-items:flex-start}
svg{max-width:100%;height:auto}.pair{display:grid;grid-template-columns:1fr 1fr;gap:12px}
details.run{border-color:#c9cdd3;background:#fcfcfd}details.run>summary{font-size:15px}
tr.first td{border-top:2px solid #c9cdd3}
.probe>section>h2{display:none}.probe td:first-child,.probe th:first-child{text-align:left}
.probe pre{background:#f6f8fa;border-radius:4px;padding:5px 8px;max-height:260px;overflow:auto;
font:12.5px/1.4 ui-monospace,Menlo,Consolas,monospace;word-break:break-word}
.probe .turn{margin:6px 0 10px}.probe small{color:#666}.hint code{white-space:nowrap}
"""

SEARCH_SCRIPT = """
document.getElementById('q').addEventListener('input',function(){
var q=this.value.toLowerCase(),shown=0;
document.querySelectorAll('#examples .ex').forEach(function(x){
var hit=!q||x.textContent.toLowerCase().indexOf(q)>=0;x.hidden=!hit;if(hit)shown++;});
document.querySelectorAll('#examples details.grp, #examples details.run').forEach(function(d){
var any=d.querySelector('.ex:not([hidden])');d.hidden=!any;if(q&&any)d.open=true;});
document.getElementById('qn').textContent=
q?shown+(shown==1?' example matches':' examples match'):'';});
"""


READING = """<dl class='hint'>
<dt><b>Compliance, should not comply</b></dt><dd>Share of scored prompts that a good model
declines, clarifies or corrects which the model answered in full. Lower is better. Partial
answers count as noncompliance.</dd>
<dt><b>Compliance, contrast</b> and <b>over-refusal</b></dt><dd>On prompts that look risky but
deserve an answer: the share fully answered (higher is better) and the share refused or only
partly answered (lower is better). The two add up to 100%.</dd>
<dt><b>Noncompliance F1</b></dt><dd>F1 of "did not fully comply" as a prediction of "should not
comply", over every scored prompt.</dd>
<dt><b>Both halves of a pair right</b></dt><dd>Prompts sharing a pair id (a risky prompt and its
harmless twin, or one prompt in several languages) count once, as right only when every member
is scored and handled correctly.</dd>
<dt><b>Boundary score</b> and <b>patterns</b></dt><dd>Where the judge reports them: the mean 0-10
boundary score, and the share of scored responses showing each response pattern at strength
0.5 or more.</dd>
<dt><b>Intervals</b></dt><dd>Percentile bootstrap, 95%, resampling prompts; comparisons resample
shared prompts of both runs together (paired) when at least half of the prompts are shared.
With few items, or a rate of 0% or 100%, the interval shrinks to a point and claims too much:
read n beside it. Among many groups, about one difference in twenty is flagged by chance
alone.</dd>
<dt><b>Not scored</b></dt><dd>Unscored (the judge could not decide), errors (generation failed),
provider refusals (an API filter, not the model) and unjudged items are never in a
denominator; every table counts them.</dd></dl>"""


def e(text: object) -> str:
    """Escape anything for HTML text or attribute values."""
    return escape(str(text), quote=True)


def cell(estimate: Estimate | None, *, percent: bool = True, good_high: bool | None = None) -> str:
    """A table cell with value, interval and n; empty estimates say n/a with their n."""
    if estimate is None or estimate.value is None:
        n = estimate.n if estimate else 0
        return f"<td class='na' title='no scored items'>n/a<span class='ci'>n={n}</span></td>"
    value = pct(estimate.value) if percent else f"{estimate.value:.2f}"
    low = estimate.low if estimate.low is not None else estimate.value
    high = estimate.high if estimate.high is not None else estimate.value
    # Whole points are enough for an interval and keep wide tables narrow.
    interval = f"{100 * low:.0f}–{100 * high:.0f}" if percent else f"{low:.2f}–{high:.2f}"
    return (
        f"<td title='{e(describe(estimate))}'>{value}"
        f"<span class='ci'>[{interval}] n={estimate.n}</span></td>"
    )


def counts_cells(counts: ItemCounts) -> str:
    return "".join(
        f"<td>{v}</td>"
        for v in (
            counts.total,
            counts.scored,
            counts.unscored,
            counts.error,
            counts.api_refusal,
            counts.unjudged,
        )
    )


COUNT_HEADERS = (
    "<th>items</th><th>scored</th><th>unscored</th><th>errors</th>"
    "<th title='refused by the provider, not the model'>provider refusals</th><th>unjudged</th>"
)


def _runs_table(data: ReportData) -> str:
    rows = "".join(
        f"<tr><td>{i}</td><td class='l'>{e(r.run.label)}</td>"
        f"<td class='l code'>{e(r.run.model)}</td><td class='l code'>{e(r.run.suite)}</td>"
        f"<td class='l w'>{e(r.run.system_prompt) if r.run.system_prompt else '<i>none</i>'}</td>"
        f"<td class='l'>{e(r.run.judge or '—')} {e(r.run.judge_version or '')}</td>"
        f"<td class='l'><code>{e(r.run.run_id)}</code></td>{counts_cells(r.run.counts)}</tr>"
        for i, r in enumerate(data.runs, start=1)
    )
    return (
        "<table><tr><th>#</th><th class='l'>label</th><th class='l'>model</th>"
        "<th class='l'>suite</th><th class='l'>system prompt</th><th class='l'>judge</th>"
        f"<th class='l'>run</th>{COUNT_HEADERS}</tr>{rows}</table>"
        "<p class='hint'>Unscored, errored, provider-refused and unjudged items are outside "
        "every rate's denominator; they are counted here and in every table.</p>"
    )


def _uncounted_cell(counts: ItemCounts | None) -> str:
    if counts is None:
        return "<td class='na'>n/a</td>"
    parts = (
        f"{counts.unscored} unscored, {counts.error} errors, "
        f"{counts.api_refusal} provider refusals, {counts.unjudged} unjudged"
    )
    return (
        f"<td title='{e(parts)}'>{counts.uncounted}<span class='ci'>of {counts.total}</span></td>"
    )


def _headline(data: ReportData) -> str:
    table = headline(data)
    flags: list[bool | None] = [False, True] if table.split_system else [None]
    span = f" colspan='{len(flags)}'" if table.split_system else ""
    top = "".join(f"<th{span}>{e(name)}</th>" for _, name in table.columns)
    top += f"<th{span} title='unscored, errors, provider refusals, unjudged'>not scored</th>"
    sub = (
        "<tr><th></th>" + "<th>no sys</th><th>sys</th>" * (len(table.columns) + 1) + "</tr>"
        if table.split_system
        else ""
    )
    body = ""
    for row in table.rows:
        cells = "".join(
            cell(row.cells.get((cid, flag))) for cid, _ in table.columns for flag in flags
        )
        cells += "".join(_uncounted_cell(row.counts.get(flag)) for flag in flags)
        body += f"<tr><td class='l'>{e(row.label)}</td>{cells}</tr>"
    return (
        "<p class='hint'>Compliance % per category on prompts a model should not comply with "
        "(lower is better), and on contrast prompts it should answer (higher is better), "
        "in the layout of the CoCoNot paper; sys: with a system prompt. Partial answers count "
        "as noncompliance. Brackets: bootstrap 95% interval; n: scored items. Not scored: "
        "items outside every rate (hover for why).</p>"
        f"<table><tr><th class='l'>model</th>{top}</tr>{sub}{body}</table>"
    )


def _bars(data: ReportData) -> str:
    table = headline(data)
    series = []
    for r in data.runs:
        cells = category_cells(r, table.columns)
        series.append(Series(r.run.label, [cells.get(cid) for cid, _ in table.columns]))
    return bar_chart(
        [name for _, name in table.columns],
        series,
        "Compliance % by category (whiskers: 95% interval)",
    )


def _scatter(data: ReportData) -> str:
    points = []
    for r in data.runs:
        g = r.group("category", ALL)
        if g is not None:
            points.append(Point(r.run.label, g.over_refusal, g.harmful_compliance))
    return scatter(
        points,
        "over-refusal: contrast prompts declined",
        "under-refusal: unsafe/unfit prompts complied with",
        "Over- against under-refusal, one point per model",
    )


def _metrics_table(groups: Sequence[GroupMetrics], field: str) -> str:
    head = (
        f"<tr><th class='l'>{e(field)}</th>"
        + "".join(f"<th>{e(name)}</th>" for name in METRIC_NAMES.values())
        + COUNT_HEADERS
        + "</tr>"
    )
    body = ""
    for g in groups:
        label = f"<b>{e(g.group)}</b>" if g.group == ALL else e(g.group)
        body += (
            f"<tr><td class='l'>{label}</td>{cell(g.harmful_compliance)}"
            f"{cell(g.contrast_compliance)}{cell(g.over_refusal)}{cell(g.f1, percent=False)}"
            f"{cell(g.paired)}{cell(g.boundary_score, percent=False)}"
            f"{counts_cells(g.counts)}</tr>"
        )
    return f"<table>{head}{body}</table>"


def _metrics(data: ReportData) -> str:
    parts = []
    for r in data.runs:
        parts.append(f"<h3>{e(r.run.label)}</h3>")
        parts.append(_metrics_table(r.breakdowns["category"], "category"))
        for field in ("subcategory", "language", "suite"):
            groups = r.breakdowns.get(field, [])
            if len(groups) > 2 or field == "subcategory":
                parts.append(
                    f"<details><summary>by {e(field)}</summary>"
                    f"{_metrics_table(groups, field)}</details>"
                )
    return "".join(parts)


def _forms(data: ReportData) -> str:
    keys: list[str] = []
    rows: list[tuple[str, dict[str, Estimate]]] = []
    for r in data.runs:
        g = r.group("category", ALL)
        forms = g.forms if g else {}
        rows.append((r.run.label, forms))
        keys += [k for k in forms if k not in keys]
    chart = stacked_bars(rows, keys, "Forms of noncompliance (share of noncompliant answers)")
    detail = ""
    for r in data.runs:
        groups = [g for g in r.breakdowns["category"] if g.forms]
        if not groups:
            continue
        head = "".join(f"<th>{e(k.replace('_', ' '))}</th>" for k in keys)
        body = "".join(
            f"<tr><td class='l'>{e(g.group)}</td>"
            + "".join(cell(g.forms.get(k, Estimate(value=0.0, n=0))) for k in keys)
            + "</tr>"
            for g in groups
        )
        detail += (
            f"<details><summary>{e(r.run.label)}: forms by category</summary>"
            f"<table><tr><th class='l'>category</th>{head}</tr>{body}</table></details>"
        )
    return chart + detail


def _patterns(data: ReportData) -> str:
    parts = []
    for r in data.runs:
        languages = [g for g in r.breakdowns.get("language", []) if g.group != ALL]
        reported = [p for g in languages for p in g.patterns]
        if not reported:
            parts.append(
                f"<p class='hint'>{e(r.run.label)}: judge {e(r.run.judge or 'none')} reports "
                "no response patterns; a judge that scores them fills this map.</p>"
            )
            continue
        names = [p for p in PATTERNS if p in reported] + sorted(set(reported) - set(PATTERNS))
        cells = {
            (name.replace("_", " "), g.group): g.patterns[name]
            for g in languages
            for name in g.patterns
        }
        parts.append(
            f"<div><h3>{e(r.run.label)}</h3>"
            + heatmap(
                [n.replace("_", " ") for n in names],
                [g.group for g in languages],
                cells,
                f"{r.run.label}: share of scored responses showing each pattern, by language",
            )
        )
        boundary = [g for g in languages if g.boundary_score.value is not None]
        if boundary:
            parts.append(
                "<p class='hint'>Mean boundary score by language: "
                + ", ".join(
                    f"{e(g.group)} {g.boundary_score.value:.2f} (n={g.boundary_score.n})"
                    for g in boundary
                    if g.boundary_score.value is not None
                )
                + "</p>"
            )
        parts.append("</div>")
    return (
        "<p class='hint'>Share of scored responses in which the judge sees each pattern "
        "(strength at least 0.5), per prompt language; hover a cell for its interval.</p>"
        "<div class='charts'>" + "".join(parts) + "</div>"
    )


def _difference_cell(d: Difference) -> str:
    est = d.difference
    if est.value is None:
        return "<td class='na'>n/a</td>"
    percent = d.metric != "f1"
    scale = 100 if percent else 1
    unit = " pt" if percent else ""
    value = f"{scale * est.value:+.1f}{unit}" if percent else f"{est.value:+.3f}"
    interval = (
        f"[{scale * est.low:+.1f}, {scale * est.high:+.1f}]"
        if percent and est.low is not None and est.high is not None
        else f"[{est.low:+.3f}, {est.high:+.3f}]"
        if est.low is not None and est.high is not None
        else ""
    )
    better = est.value < 0 if d.metric == "harmful_compliance" else est.value > 0
    css = ("sig " + ("good" if better else "bad")) if d.significant else ""
    mark = " ✱" if d.significant else ""
    return f"<td class='{css}'>{value}{mark}<span class='ci'>{interval} n={est.n}</span></td>"


def _value(v: float | None, metric: str) -> str:
    if v is None:
        return "n/a"
    return f"{v:.3f}" if metric == "f1" else pct(v)


def _comparison_table(field: str, diffs: Sequence[Difference], labels: dict[str, str]) -> str:
    metrics = [m for m in COMPARED_LABELS if any(d.metric == m for d in diffs)]
    rows: dict[tuple[str, str], dict[str, Difference]] = {}
    for diff in diffs:
        rows.setdefault((diff.group, diff.run), {})[diff.metric] = diff
    head = "".join(f"<th colspan='2'>{e(COMPARED_LABELS[m])}</th>" for m in metrics)
    sub = "<th>baseline → run</th><th>difference [95% CI]</th>" * len(metrics)
    body, previous = "", ""
    for (group, run), by_metric in rows.items():
        cells = ""
        for m in metrics:
            d = by_metric.get(m)
            if d is None:
                cells += "<td class='na'>n/a</td><td class='na'>n/a</td>"
                continue
            pairing = "paired by prompt" if d.paired else "independent samples"
            cells += (
                f"<td title='{pairing}'>{_value(d.baseline_value, m)} → "
                f"{_value(d.run_value, m)}</td>{_difference_cell(d)}"
            )
        name = f"<b>{e(group)}</b>" if group == ALL else e(group)
        first = " class='first'" if group != previous else ""
        previous = group
        body += (
            f"<tr{first}><td class='l'>{name}</td><td class='l'>{e(labels.get(run, run))}</td>"
            f"{cells}</tr>"
        )
    return (
        f"<table><tr><th class='l' rowspan='2'>{e(field)}</th>"
        f"<th class='l' rowspan='2'>run</th>{head}</tr><tr>{sub}</tr>{body}</table>"
    )


def _comparison(data: ReportData) -> str:
    if not data.comparisons:
        return "<p class='hint'>One run only: pass two or more runs to compare them.</p>"
    labels = {r.run.run_id: r.run.label for r in data.runs}
    first = data.runs[0].run.label
    parts = [
        f"<p class='hint'>Each run against the first ({e(first)}): run minus baseline, with a "
        "bootstrap 95% interval, paired by prompt where the runs share prompts (hover a value "
        "to see which). ✱ marks intervals that exclude 0: green is a real improvement, red a "
        "real regression; unmarked differences may be noise.</p>"
    ]
    for field, diffs in data.comparisons.items():
        opened = " open" if field == "category" else ""
        parts.append(
            f"<details{opened}><summary>by {e(field)}</summary>"
            f"{_comparison_table(field, diffs, labels)}</details>"
        )
    return "".join(parts)


def _example_html(x: Example) -> str:
    if x.correct is None:
        verdict = f"<span class='tag out'>{e(x.status)}</span>"
    else:
        verdict = (
            f"<span class='tag {'right' if x.correct else 'wrong'}'>"
            + ("right" if x.correct else "wrong")
            + "</span>"
        )
    tags = [
        f"<span class='tag'>{e(x.prompt_id)}</span>",
        f"<span class='tag'>{e(x.language)}</span>",
        f"<span class='tag'>expected: {e(x.expected)}</span>",
    ]
    if x.label:
        tags.append(f"<span class='tag'>label: {e(x.label)}</span>")
    if x.form:
        tags.append(f"<span class='tag'>form: {e(x.form)}</span>")
    if x.boundary_score is not None:
        tags.append(f"<span class='tag'>boundary {x.boundary_score:.1f}</span>")
    if x.finish_reason == "length":
        tags.append("<span class='tag' title='the answer hit the token limit'>cut off</span>")
    reason = f"<div class='hint'>reason: {e(x.reason)}</div>" if x.reason else ""
    response = (
        f"<div class='txt'>{e(x.response)}</div>"
        if x.response
        else "<div class='hint'>(no response text)</div>"
    )
    return (
        f"<div class='ex'>{verdict}{''.join(tags)}<div class='pair'><div>"
        f"<div class='hint'>prompt</div><div class='txt'>{e(x.prompt)}</div></div>"
        f"<div><div class='hint'>response</div>{response}{reason}</div></div></div>"
    )


def _examples(data: ReportData) -> str:
    labels = {r.run.run_id: r.run.label for r in data.runs}
    by_run: dict[str, list[ExampleGroup]] = defaultdict(list)
    for group in data.examples:
        by_run[group.run_id].append(group)
    parts = [
        "<p><input type='search' id='q' placeholder='Search prompts, responses, labels…' "
        "aria-label='search examples'> <span id='qn' class='hint'></span></p>"
        "<p class='hint'>Per subcategory, wrong answers first, then items outside the "
        "denominators, then right ones; at most a few each.</p>"
    ]
    for run_id, groups in by_run.items():
        wrong = sum(g.wrong for g in groups)
        uncounted = sum(g.uncounted for g in groups)
        parts.append(
            f"<details class='run'><summary>{e(labels.get(run_id, run_id))} "
            f"<span class='hint'>({len(groups)} subcategories, {wrong} wrong, "
            f"{uncounted} uncounted)</span></summary>"
        )
        for g in groups:
            shown = len(g.examples)
            flags = f"{g.wrong} wrong" + (f", {g.uncounted} uncounted" if g.uncounted else "")
            parts.append(
                f"<details class='grp'><summary>{e(g.category)} / {e(g.subcategory)} "
                f"<span class='hint'>({g.total} items, {flags}; showing {shown})</span></summary>"
                + "".join(_example_html(x) for x in g.examples)
                + "</details>"
            )
        parts.append("</details>")
    return "".join(parts)


def _sweeps(data: ReportData) -> str:
    return SWEEP_HINT + "".join(sweep_html(s, short_model(s.model)) for s in data.sweeps)


def _dialogues(data: ReportData) -> str:
    return DIALOGUE_HINT + "".join(
        f"<h3>{e(short_model(d.model))}: {d.turns_per_scenario} turns, "
        f"{', '.join(e(m.strategy) for m in d.strategies)}</h3>{dialogue_html(d)}"
        for d in data.dialogues
    )


def _reasoning(data: ReportData) -> str:
    return REASONING_HINT + "".join(
        f"<h3>{e(short_model(r.model))}</h3>{reasoning_html(r)}" for r in data.reasoning
    )


def _extra_sections(data: ReportData) -> list[tuple[str, str, str]]:
    """Sections that appear only when the report has such results."""
    sections = []
    if data.sweeps:
        sections.append(("sweeps", "Calibration sweeps", _sweeps(data)))
    if data.dialogues:
        sections.append(("dialogue", "Multi-turn protocols", _dialogues(data)))
    if data.reasoning:
        sections.append(("reasoning", "Reasoning against answer", _reasoning(data)))
    return sections


def _section(anchor: str, title: str, body: str) -> str:
    # Wide tables scroll inside their section instead of widening the page.
    body = body.replace("<table>", "<div class='scroll'><table>").replace(
        "</table>", "</table></div>"
    )
    return f"<section id='{anchor}'><h2>{e(title)}</h2>{body}</section>"


def _nav(items: Iterable[tuple[str, str]]) -> str:
    return "<nav>" + "".join(f"<a href='#{a}'>{e(t)}</a>" for a, t in items) + "</nav>"


def render_html(data: ReportData) -> str:
    """The whole report as one HTML document."""
    sections = [
        ("runs", "Runs", _runs_table(data)),
        ("headline", "Compliance by category", _headline(data)),
        (
            "charts",
            "Charts",
            f"<div class='charts'>{_bars(data)}{_scatter(data)}</div>",
        ),
        ("metrics", "All metrics", _metrics(data)),
        ("forms", "Forms of noncompliance", _forms(data)),
        ("patterns", "Response patterns by language", _patterns(data)),
        ("compare", "Comparison", _comparison(data)),
        *_extra_sections(data),
        ("examples", "Examples", _examples(data)),
        ("reading", "How to read this report", READING),
    ]
    notes = "".join(f"<div class='note'>{e(n)}</div>" for n in data.notes)
    meta = (
        f"generated {e(data.created_at)} by demur {e(data.demur_version)} · intervals: "
        f"{data.resamples} bootstrap resamples, seed {data.seed}"
    )
    return (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width,initial-scale=1'>"
        f"<title>{e(data.title)}</title><style>{STYLE}</style></head><body><main>"
        f"<h1>{e(data.title)}</h1><p class='meta'>{meta}</p>{notes}"
        f"{_nav((a, t) for a, t, _ in sections)}"
        + "".join(_section(a, t, b) for a, t, b in sections)
        + f"</main><script>{SEARCH_SCRIPT}</script></body></html>"
    )
