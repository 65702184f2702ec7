"""Self-contained HTML pages for `outlook scenario --html` and `outlook ach --html`.

One file, no script, no network: histograms are inline SVG; every value is escaped by
jinja2's autoescape; a source line (claim and grade, or "assumption") sits under every figure.
"""

from __future__ import annotations

from typing import Any

import jinja2
from markupsafe import Markup

_ENV = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)

_BASE = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{{ title }}</title>
<style>body{font:14px/1.4 system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em}
table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ccc;padding:3px 6px;text-align:left}
td.n{text-align:right;font-variant-numeric:tabular-nums}.src{color:#555;font-size:12px}
.CC{background:#9be39b}.C{background:#d5f5d5}.I{background:#f7d0d0}.II{background:#ee9090}.flag{color:#a40}</style>
</head><body><h1>{{ title }}</h1>{{ body }}</body></html>"""

_SCENARIO = """<p class="src">File {{ r.file }}; claims graded by transship's claims stage (case {{ r.case }}).
Widening rule: {{ r.widening_rule }}.</p>
{% for s in r.scenarios %}<h2>{{ s.title }} <small>({{ s.id }}, model {{ s.model }}, {{ "{:,}".format(s.runs) }} runs, seed {{ s.seed }})</small></h2>
<table><tr><th>impact</th><th>median</th><th>5-95 %</th><th>mean</th><th>distribution</th></tr>
{% for i in s.impacts %}<tr><td>{{ i.name }} ({{ i.unit }})</td><td class="n">{{ fmt(i.median) }}</td>
<td class="n">{{ fmt(i.p5) }} - {{ fmt(i.p95) }}</td><td class="n">{{ fmt(i.mean) }}</td><td>{{ svg(i.histogram) }}</td></tr>{% endfor %}</table>
<h3>Sensitivity of cost_to_target_eur (Spearman's rho)</h3><table><tr><th>parameter</th><th>rho</th><th>basis</th></tr>
{% for x in s.sensitivity %}<tr><td>{{ x.parameter }}</td><td class="n">{{ "%.2f"|format(x.rho) }}</td><td class="src">{{ x.basis }}</td></tr>{% endfor %}</table>
{% if s.comparisons %}<h3>Claims about the impact</h3><ul>{% for c in s.comparisons %}<li>{{ c.claim.id }} ({{ c.claim.grade }}) says {{ fmt(c.value) }}:
{{ "%.0f"|format(c.percentile * 100) }} % of runs are at or below it. <span class="src">{{ c.claim.text }}</span></li>{% endfor %}</ul>{% endif %}
<h3>Parameters</h3><table><tr><th>parameter</th><th>distribution</th><th>basis</th></tr>
{% for p in s.parameters %}<tr><td>{{ p.name }}</td><td>{{ p.distribution }}</td><td class="src">{{ p.basis }}</td></tr>{% endfor %}</table>
{% endfor %}"""

_ACH = """<p class="src">File {{ r.file }}. Ratings CC/C/N/I/II/NA; weight = grade x relevance.
{% for a in r.assumptions %}{{ a }}. {% endfor %}</p>
<table><tr><th>item</th><th>claim (grade, origins)</th><th>weight</th><th>diagnosticity</th>
{% for h in r.hypotheses %}<th title="{{ h.title }}">{{ h.id }}</th>{% endfor %}</tr>
{% for it in r["items"] %}<tr><td>{{ it.id }} {% if it.consistent_with_all %}<span class="flag" title="consistent with every hypothesis">(not diagnostic)</span>{% endif %}<br><span class="src">{{ it.text }}</span></td>
<td>{% if it.claim %}{{ it.claim.id }} ({{ it.claim.grade }}, {{ it.claim.origins }}){% else %}none{% endif %}</td>
<td class="n">{{ "%.2f"|format(it.weight) }}</td><td class="n">{{ it.diagnosticity }}</td>
{% for h in r.hypotheses %}<td class="{{ it.ratings[h.id] }}">{{ it.ratings[h.id] }}</td>{% endfor %}</tr>{% endfor %}
<tr><th colspan="4">inconsistency (lower is better)</th>{% for h in r.hypotheses %}<td class="n">{{ r.scores.inconsistency[h.id] }}</td>{% endfor %}</tr>
<tr><th colspan="4">weighted inconsistency</th>{% for h in r.hypotheses %}<td class="n">{{ "%.2f"|format(r.scores.weighted_inconsistency[h.id]) }}</td>{% endfor %}</tr>
<tr><th colspan="4">posterior (likelihood view)</th>{% for h in r.hypotheses %}<td class="n">{{ "%.2f"|format(r.scores.posterior[h.id]) }}</td>{% endfor %}</tr></table>
<h2>Hypotheses and indicators</h2>{% for h in r.hypotheses %}<h3>{{ h.id }}: {{ h.title }}</h3><ul>
{% for i in h.indicators %}<li>{{ i.text }}: {% if i.observed %}<b>observed</b> ({% for e in i.evidence %}{{ e.claim }} {{ e.date }} {{ e.grade }}{% if not loop.last %}; {% endif %}{% endfor %}){% else %}not observed in the claims{% endif %}</li>{% endfor %}</ul>{% endfor %}
<h2>Sensitivity</h2><table><tr><th>case</th><th>items kept</th><th>leader</th><th>changed</th></tr>
{% for s in r.sensitivity %}<tr><td>{{ s.case }}</td><td class="n">{{ s.items_kept }}</td><td>{{ s.leader }}</td><td>{{ s.changed or "nothing" }}</td></tr>{% endfor %}</table>"""


def fmt(x: float) -> str:
    a = abs(x)
    if a >= 1e9:
        return f"{x / 1e9:,.2f} bn"
    if a >= 1e6:
        return f"{x / 1e6:,.1f} m"
    return f"{x:,.3g}"


def svg(hist: dict[str, list[float]]) -> Markup:
    counts = hist["counts"]
    top = max(counts) or 1
    w = 8
    bars = "".join(
        f'<rect x="{i * w}" y="{40 - 40 * c / top:.1f}" width="{w - 1}" height="{40 * c / top:.1f}" fill="#4a7"/>'
        for i, c in enumerate(counts)
    )
    return Markup(
        f'<svg width="{w * len(counts)}" height="40" role="img" aria-label="histogram">{bars}</svg>'
    )


def page(title: str, kind: str, report: dict[str, Any]) -> str:
    body = _ENV.from_string(_SCENARIO if kind == "scenario" else _ACH).render(
        r=report, fmt=fmt, svg=svg
    )
    return _ENV.from_string(_BASE).render(title=title, body=Markup(body))
