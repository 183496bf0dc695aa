"""What every page shares on screen: page paths, the app check, plots, errors and number formats.

No heavy library is imported here, so the home page stays fast to serve.
"""

from __future__ import annotations

import numpy as np
import streamlit as st

#: plotly template Streamlit registers (pio.templates) when it loads: its colours are
#: placeholders the browser replaces with the active theme's (light or dark)
STREAMLIT_TEMPLATE = "streamlit"

UPLOAD_TYPES: list[str] = ["wav", "mp3", "ogg", "flac", "au"]  #: audio files the uploaders take


PAGE_HOME = "pages/home.py"


PAGE_DATASET = "pages/dataset.py"


PAGE_FEATURES = "pages/features.py"


PAGE_TRAINING = "pages/training.py"


PAGE_RESULTS = "pages/results.py"


PAGE_TRY = "pages/try_it.py"


def require_app() -> None:
    """Rerun through app.py when Streamlit ran this page file on its own; call first in a page.

    Because a folder named pages/ sits beside app.py, a fresh server whose first request is a
    page URL (e.g. /dataset), and AppTest on every rerun, use Streamlit's old pages-folder mode:
    they run the page file alone, without app.py's st.navigation, page config and sidebar. The
    flag st.navigation clears is cleared here too and the run restarts through app.py.
    """
    from streamlit.runtime.pages_manager import PagesManager

    if PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False
        st.rerun()


VIEWER_NOTE = ("This GenreLab is shared in viewer mode: the data source, downloads and training "
               "are fixed by whoever runs it. Every page still works for looking and trying.")


def viewer_note(what: str) -> None:
    """The line a page shows in place of a control that viewer mode switches off."""
    st.caption(f":material/visibility: {what} — {VIEWER_NOTE}")


def training_notice() -> None:
    """A line saying a training job is running (so a slow page is expected), when one is.

    The job runs at a lower priority with few threads (core.training.jobs), but on a small
    machine it still takes CPU time pages would otherwise have.
    """
    from core.training.config import MODEL_LABELS
    from core.training.jobs import active_jobs   # reads a few small files; no TensorFlow

    try:
        running = active_jobs()
    except OSError:   # the runs folder cannot be read: say nothing rather than fail the page
        return
    if running:
        conf = running[0].config or {}
        what = conf.get("name") or MODEL_LABELS.get(conf.get("model"), "a model")
        st.caption(f":material/hourglass_top: A training job is running ({what}, on the "
                   "Training console), so this page may be slower than usual until it ends.")


NARROW_WINDOW_PX = 1024   #: a window at most this wide opens with the sidebar collapsed

#: Page-wide CSS: a metric's label and value wrap onto a second line instead of being cut
#: to "81…" when its column is narrow.
PAGE_CSS = """<style>
[data-testid="stMetricLabel"] [data-testid="stMarkdownContainer"],
[data-testid="stMetricLabel"] [data-testid="stMarkdownContainer"] *,
[data-testid="stMetricValue"] [data-testid="stMarkdownContainer"],
[data-testid="stMetricValue"] [data-testid="stMarkdownContainer"] * {
    white-space: normal !important; overflow: visible !important;
    text-overflow: clip !important; overflow-wrap: break-word;
}
</style>"""

#: Collapses the sidebar once when the page opens in a narrow window (a laptop screen split in
#: two), where its 300 px would squeeze every page. Streamlit's own "auto" state collapses it
#: only at 768 px or less. A viewer's own choice (Streamlit keeps it in the browser's
#: localStorage once they open or close the sidebar) is left alone, and the script's own click
#: is not kept as one, so a wider window later shows the sidebar again.
SIDEBAR_SCRIPT = """<script>
(() => {
  const NARROW = %d, PREFIX = "stSidebarCollapsed-";
  const chosen = () => Object.keys(window.localStorage).filter(k => k.startsWith(PREFIX));
  if (window.innerWidth > NARROW || chosen().length) return;
  const collapse = (tries) => {
    const bar = document.querySelector('[data-testid="stSidebar"]');
    const button = document.querySelector('[data-testid="stSidebarCollapseButton"] button');
    if (bar && bar.getAttribute("aria-expanded") === "false") return;
    if (!button) { if (tries > 0) setTimeout(() => collapse(tries - 1), 100); return; }
    button.click();
    chosen().forEach(k => window.localStorage.removeItem(k));
  };
  collapse(50);
})();
</script>""" % NARROW_WINDOW_PX


def page_style() -> None:
    """The CSS and the narrow-window script every page shares; app.py's frame calls it each run."""
    st.html(PAGE_CSS)   # style only: Streamlit puts it where it takes no room
    st.sidebar.html(SIDEBAR_SCRIPT, unsafe_allow_javascript=True)


def plot(fig, key: str | None = None, where=None) -> None:
    """Show a plotly figure full width with GenreLab's modebar config (PNG download at 2x).

    The figure's template (core.report.figures.LAYOUT's light "plotly_white", kept for the HTML
    report) is swapped for Streamlit's, so the chart follows the viewer's light or dark theme:
    background, text, grid and table colours all come from the theme.

    where: the container (a column, say) to draw in; the page itself when None.
    """
    from core.report.figures import PLOT_CONFIG, for_dark_page

    fig.update_layout(template=STREAMLIT_TEMPLATE)
    if dark_theme():
        for_dark_page(fig)
    (st if where is None else where).plotly_chart(fig, config=PLOT_CONFIG, key=key,
                                                  theme="streamlit")


def dark_theme() -> bool:
    """Whether the viewer's page is dark (Streamlit's active theme; light when not yet known)."""
    return getattr(st.context.theme, "type", None) == "dark"


def show_error(what: str, exc: BaseException) -> None:
    """A red box saying what failed and why (the exception's own message), never a traceback."""
    st.error(f"**{what}** — {exc}", icon=":material/error:")


def synthetic_notice(source) -> None:
    """A visible warning that the data are synthetic, when they are."""
    if source.synthetic:
        st.warning("**Synthetic data.** The built-in demo set is synthesised audio in ten styles "
                   "named after GTZAN's genres — it is *not* GTZAN and not real music. Numbers "
                   "and charts here only show how GenreLab works. Set a GTZAN folder in the "
                   "sidebar for real results.", icon=":material/science:")


def clip_label(track: str, artist: str = "", title: str = "") -> str:
    """A clip's name in a picker: "blues.00001 – Artist: Title" (what is not known left out)."""
    known = ": ".join(part for part in (str(artist or ""), str(title or "")) if part)
    return f"{track} – {known}" if known else track


def fmt_duration(seconds: float) -> str:
    """Seconds as a short human text: '42 s', '12.5 min' or '8.3 h'."""
    if not np.isfinite(seconds):
        return "–"
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 3 * 3600:
        return f"{seconds / 60:.1f} min"
    return f"{seconds / 3600:.1f} h"


def fmt_pct(value: object) -> str:
    """A fraction of 1 as a percentage with one decimal ('83.4%'), or a dash when not a number."""
    return f"{float(value):.1%}" if isinstance(value, (int, float)) else "–"
