"""The report's "Outside GTZAN" section as escaped HTML: each model's figures on a labelled folder
from outside GTZAN (core.prediction.outside), or, without a fresh evaluation, the figures the runs'
cards record. core.report.document puts it after the comparison with the study."""

from __future__ import annotations

from typing import Sequence

from core.prediction.outside import OutsideResult, skipped_text
from core.report.text import esc, folder_name, for_readers, pct


NOT_RECORDED = "–"   #: a figure the card's outside record does not hold


def _number(record: dict, key: str) -> float | None:
    """record[key] as a float, or None when the record lacks it or it is not a finite number."""
    try:
        value = float(record[key])
    except (KeyError, TypeError, ValueError):
        return None
    return value if value == value and abs(value) != float("inf") else None


def cards_outside_html(cards: Sequence[dict]) -> str:
    """One <section> from the figures the runs' cards record ("outside": set, n, accuracy with
    its interval, date), or "" when no card has one."""
    measured = [c for c in cards if isinstance(c.get("outside"), dict)]
    if not measured:
        return ""
    rows = []
    for card in measured:
        o = card["outside"]
        accuracy, low, high = (_number(o, k) for k in ("accuracy", "ci_low", "ci_high"))
        correct, n, f1 = _number(o, "correct"), _number(o, "n"), _number(o, "macro_f1")
        interval = f" [{pct(low)}–{pct(high)}]" if low is not None and high is not None else ""
        cells = [pct(accuracy) + interval if accuracy is not None else NOT_RECORDED,
                 f"{int(correct)} of {int(n)}" if correct is not None and n is not None
                 else NOT_RECORDED,
                 f"{f1:.3f}" if f1 is not None else NOT_RECORDED]
        rows.append(f"<tr><td>{esc(str(card.get('name') or card.get('run_id')))}</td>"
                    + "".join(f"<td>{c}</td>" for c in cells)
                    + f"<td>{esc(for_readers(str(o.get('set', ''))))}</td><td>{esc(str(o.get('date', '')))}"
                    "</td></tr>")
    return "\n".join([
        '<section id="outside-gtzan"><h2>Outside GTZAN</h2>',
        f"<p>{len(measured)} of the {len(cards)} run(s) were also measured on labelled music from "
        "outside GTZAN, which none of them was trained on (the figure each card records). "
        "Accuracy with its 95 % Wilson interval; a clip of a genre a model was not trained on "
        "counts as wrong for it. These figures are far below the in-GTZAN ones: GTZAN flatters.</p>",
        "<table><thead><tr><th>Model</th><th>Accuracy [95 % CI]</th><th>Correct of n</th>"
        "<th>Macro-F1</th><th>Set</th><th>Measured</th></tr></thead><tbody>"
        + "".join(rows) + "</tbody></table>",
        "</section>"])


def outside_section_html(result: OutsideResult | dict) -> str:
    """One <section>: what was measured (folder, n, clips per genre, protocol), a table with a
    row per model (accuracy with its 95 % Wilson interval, correct of n, macro-F1, recall per
    genre, "cannot answer" where a model was not trained on a genre), then the files left out."""
    data = result.to_dict() if isinstance(result, OutsideResult) else dict(result)
    genres = list(data.get("genres") or {})
    head = "".join(f"<th>{esc(g)} recall</th>" for g in genres)
    rows = []
    for m in data.get("models") or []:
        cells = []
        for g in genres:
            v = (m.get("per_genre") or {}).get(g) or {"correct": 0, "n": 0}
            note = " <small>(cannot answer)</small>" if v.get("note") else ""
            cells.append(f"<td>{int(v['correct'])}/{int(v['n'])}{note}</td>")
        label = esc(str(m["label"]))
        rows.append(f"<tr><td>{'<b>' + label + '</b>' if m['label'] == 'answer' else label}</td>"
                    f"<td>{pct(m['accuracy'])} [{pct(m['ci_low'])}–{pct(m['ci_high'])}]</td>"
                    f"<td>{int(m['correct'])} of {int(m['n'])}</td>"
                    f"<td>{float(m['macro_f1']):.3f}</td>{''.join(cells)}</tr>")
    counts = ", ".join(f"{esc(g)} {int(k)}" for g, k in (data.get("genres") or {}).items())
    parts = [
        '<section id="outside-gtzan"><h2>Outside GTZAN</h2>',
        f"<p>Every model on {int(data.get('n', 0))} labelled clips of "
        f"<code>{esc(folder_name(str(data.get('folder', ''))))}</code> ({counts}): music none "
        "of them was "
        "trained on. Accuracy with its 95 % Wilson interval; a clip of a genre a model was not "
        "trained on counts as wrong for it. <i>answer</i> is the headline answer (the most "
        "trusted model that can answer every genre).</p>",
        "<table><thead><tr><th>Model</th><th>Accuracy [95 % CI]</th><th>Correct of n</th>"
        f"<th>Macro-F1</th>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>",
    ]
    skipped = data.get("skipped_folders")   # a count (older JSON: the names, not shown)
    if skipped:
        parts.append(f"<p>{esc(skipped_text(skipped if isinstance(skipped, int) else len(skipped)))}"
                     ".</p>")
    if data.get("bad_files"):
        parts.append("<p>Files left out:</p><ul>" + "".join(
            f"<li>{esc(str(b['clip']))}: {esc(str(b['reason']))}</li>"
            for b in data["bad_files"]) + "</ul>")
    parts.append("</section>")
    return "\n".join(parts)
