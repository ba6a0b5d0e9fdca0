"""Cost and speed against batch size: a table and a plot (matplotlib, no display needed)."""

from __future__ import annotations

from pathlib import Path

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

from pipelines.cost.economics import Economics, economics_at
from pipelines.cost.profiles import GpuProfile, MeasuredProfile, Profile
from pipelines.errors import InputError

DEFAULT_BATCHES = tuple(2**i for i in range(11))  # 1 .. 1024


def sweep(profile: Profile, batches: tuple[float, ...] = DEFAULT_BATCHES,
          context: float | None = None) -> list[Economics]:
    if isinstance(profile, MeasuredProfile):
        batches = ", ".join(f"{b:g}" for b in sorted(profile.measured.decode_tokens_per_s))
        raise InputError(f"{profile.name} is a measured profile: it has no model to sweep, only "
                         f"its measured batches ({batches}); fix: `pipe cost explain PROFILE "
                         f"--batch B` for one of them")
    return [economics_at(profile, b, context) for b in batches]


def format_sweep(points: list[Economics]) -> str:
    head = (f"{'batch':>7} {'tok/s/GPU':>10} {'tok/s/user':>10} {'$/1M out':>10} "
            f"{'t_mem ms':>9} {'t_comp ms':>9} {'t_comm ms':>9} {'mem GB':>7}  fits")
    lines = [head, "-" * len(head)]
    for e in points:
        lines.append(
            f"{e.batch_per_gpu:>7g} {e.tokens_per_s_per_gpu:>10.1f} {e.tokens_per_s_per_user:>10.2f}"
            f" {e.usd_per_m_output:>10.4f} {e.t_mem_s * 1e3:>9.2f} {e.t_compute_s * 1e3:>9.2f}"
            f" {e.t_comm_s * 1e3:>9.2f} {e.memory_gb_per_gpu:>7.1f}  "
            f"{'yes' if e.fits_memory else 'NO'}")
    return "\n".join(lines)


def _legend(ax) -> None:
    """One entry per line and per marker fill (hollow: that batch's KV cache does not fit)."""
    handles = [
        Line2D([], [], color="tab:blue", marker="o", label="$ / 1M output tokens (left)"),
        Line2D([], [], color="tab:orange", marker="s", label="tokens/s per user (right)"),
        Line2D([], [], color="0.35", marker="o", linestyle="", label="filled: fits in GPU memory"),
        Line2D([], [], color="0.35", marker="o", linestyle="", markerfacecolor="white",
               label="hollow: KV cache does not fit"),
    ]
    ax.legend(handles=handles, loc="upper right", fontsize=8, framealpha=0.9)


def plot_sweep(profile: GpuProfile, points: list[Economics], out: str | Path) -> Path:
    """Write `sweep_figure` as a PNG at `out`."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    sweep_figure(profile, points).savefig(out)
    return out


def sweep_figure(profile: GpuProfile, points: list[Economics]) -> Figure:
    """$/1M output (left, log) and tokens/s per user (right) against batch per GPU.
    Hollow markers: the batch's KV cache does not fit in GPU memory (the legend says so)."""
    fig = Figure(figsize=(8, 4.8), dpi=110)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    batches = [e.batch_per_gpu for e in points]
    fits = [bool(e.fits_memory) for e in points]
    cost = [e.usd_per_m_output for e in points]
    speed = [e.tokens_per_s_per_user for e in points]
    ax.plot(batches, cost, color="tab:blue", label="$ / 1M output tokens")
    ax.scatter(batches, cost, color=["tab:blue" if f else "white" for f in fits],
               edgecolors="tab:blue", zorder=3)
    ax.set_xscale("log", base=2)
    ax.set_yscale("log")
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    ax.yaxis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"${v:g}"))
    ax.yaxis.set_minor_formatter(NullFormatter())
    ax.set_xlabel("batch per GPU (sequences)")
    ax.set_ylabel("$ / 1M output tokens", color="tab:blue")
    right = ax.twinx()
    right.plot(batches, speed, color="tab:orange", label="tokens/s per user")
    right.scatter(batches, speed, marker="s", color=["tab:orange" if f else "white" for f in fits],
                  edgecolors="tab:orange", zorder=3)
    right.set_ylabel("tokens/s per user", color="tab:orange")
    _legend(right)  # the twin axes draw last: its legend sits above both lines
    hw = profile.hardware
    ax.set_title(f"{profile.name}: {hw.gpu or 'GPU'} x{profile.deployment.gpus}, "
                 f"${hw.usd_per_gpu_hour:g}/GPU-h, context {points[0].context_len:g}")
    ax.grid(True, which="both", alpha=0.3)
    fig.tight_layout()
    return fig
