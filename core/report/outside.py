"""The report's "Outside GTZAN" section: each model's figures on a labelled folder from outside
GTZAN (core.prediction.outside), as escaped HTML. The report document hooks it in."""

from __future__ import annotations

from html import escape

from core.prediction.outside import OutsideResult


def _pct(value: float) -> str:
    """A fraction as a percentage with one decimal."""
    return f"{100 * value:.1f} %"


def outside_section_html(result: OutsideResult | dict) -> str:
    """One <section>: what was measured (folder, n, clips per genre, protocol), a table with a
    row per model (accuracy with its 95 % Wilson interval, correct of n, macro-F1, recall per
    genre, "cannot answer" where a model was not trained on a genre), then the files left out."""
    data = result.to_dict() if isinstance(result, OutsideResult) else dict(result)
    genres = list(data.get("genres") or {})
    head = "".join(f"<th>{escape(g)} recall</th>" for g in genres)
    rows = []
    for m in data.get("models") or []:
        cells = []
        for g in genres:
            v = (m.get("per_genre") or {}).get(g) or {"correct": 0, "n": 0}
            note = " <small>(cannot answer)</small>" if v.get("note") else ""
            cells.append(f"<td>{int(v['correct'])}/{int(v['n'])}{note}</td>")
        label = escape(str(m["label"]))
        rows.append(f"<tr><td>{'<b>' + label + '</b>' if m['label'] == 'answer' else label}</td>"
                    f"<td>{_pct(m['accuracy'])} [{_pct(m['ci_low'])}–{_pct(m['ci_high'])}]</td>"
                    f"<td>{int(m['correct'])} of {int(m['n'])}</td>"
                    f"<td>{float(m['macro_f1']):.3f}</td>{''.join(cells)}</tr>")
    counts = ", ".join(f"{escape(g)} {int(k)}" for g, k in (data.get("genres") or {}).items())
    parts = [
        '<section id="outside-gtzan"><h2>Outside GTZAN</h2>',
        f"<p>Every model on {int(data.get('n', 0))} labelled clips of "
        f"<code>{escape(str(data.get('folder', '')))}</code> ({counts}): music none of them was "
        "trained on. Accuracy with its 95 % Wilson interval; a clip of a genre a model was not "
        "trained on counts as wrong for it. <i>answer</i> is the headline answer (votes weighed "
        "by each model's measured trust).</p>",
        "<table><thead><tr><th>Model</th><th>Accuracy [95 % CI]</th><th>Correct of n</th>"
        f"<th>Macro-F1</th>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>",
    ]
    if data.get("skipped_folders"):
        parts.append("<p>Folders naming no GTZAN genre, skipped: "
                     + ", ".join(escape(str(s)) for s in data["skipped_folders"]) + ".</p>")
    if data.get("bad_files"):
        parts.append("<p>Files left out:</p><ul>" + "".join(
            f"<li>{escape(str(b['clip']))}: {escape(str(b['reason']))}</li>"
            for b in data["bad_files"]) + "</ul>")
    parts.append("</section>")
    return "\n".join(parts)
