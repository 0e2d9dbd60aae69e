"""What the matching benchmark prints: rows measured from results, tables, ratios, the plot."""
from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from rich.console import Console
from rich.table import Table

from schemas.regions import REGIONS_BY_CODE, distance_km
from services.booking.scheduler.matching import Assignment
from services.booking.scheduler.scoring import end_of_day

OUT = Path(__file__).parent / "out"
console = Console(soft_wrap=True, width=200)


def measure(name, results, demands, labs, seconds) -> dict:
    by_id, by_req = {lab.lab_id: lab for lab in labs}, {d.request_id: d for d in demands}
    placed = [r for r in results if isinstance(r, Assignment)]
    km = late = 0.0
    for a in placed:
        d, lab = by_req[a.request_id], by_id[a.lab_id]
        region = REGIONS_BY_CODE[d.origin]
        km += distance_km(region.lat, region.lon, lab.lat, lab.lon)
        late += max(0.0, (a.completion - end_of_day(d.deadline)) / timedelta(days=1))
    return {"method": name, "placed": len(placed), "km": km, "late_days": late, "seconds": seconds}


def label(row: dict) -> str:
    workers = row.get("workers", 1)
    return f"{row['method']}-{workers}-processes" if workers > 1 else row["method"]


def table(rows: list[dict]) -> Table:
    out = Table(title="survey-shaped instances (capacity plentiful)")
    for name in ("instance", "method", "placed", "ship km", "late d", "proven", "seconds"):
        out.add_column(name, justify="left" if name in ("instance", "method") else "right")
    for r in rows:
        km = "-" if r["km"] is None else f"{r['km']:,.0f}"
        late = "-" if r["late_days"] is None else f"{r['late_days']:.1f}"
        proven = r.get("proven", "")
        out.add_row(r["instance"], label(r), str(r["placed"]), km, late, proven, f"{r['seconds']:.2f}")
    return out


def summary(rows: list[dict]) -> list[str]:
    """Per instance: labbook against the optimum (or bound) and FCFS."""
    lines = []
    for inst in dict.fromkeys(r["instance"] for r in rows):
        got = {r["method"].split("-")[0] if r["method"].startswith("upper") else r["method"]: r
               for r in rows if r["instance"] == inst}
        ours, alone, best = got["labbook"], got.get("labbook-1-process"), got.get("optimum-cpsat")
        split = f" ({ours['workers']} processes; 1 process {alone['seconds']:.1f} s)" if alone else ""
        vs = (f"labbook/optimum {ours['placed'] / best['placed']:.4f} ({best['proven']} proven), "
              if best else "")
        lines.append(f"{inst}: {vs}labbook/upper-bound {ours['placed'] / got['upper']['placed']:.4f}, "
                     f"labbook/fcfs {ours['placed'] / max(1, got['fcfs-greedy']['placed']):.4f}, "
                     f"labbook solve {ours['seconds']:.1f} s{split} vs fcfs {got['fcfs-greedy']['seconds']:.1f} s")
        if planned := got.get("labbook-planned"):
            lines.append(f"{inst}: planned/upper-bound {planned['placed'] / got['upper']['placed']:.4f}, "
                         f"{planned['rounds']} solved rounds in {planned['seconds']:.1f} s, the longest "
                         f"{planned['round_max_s']:.2f} s ({planned.get('workers', 1)} process(es)); "
                         f"peak memory so far (the largest process) {planned['peak_mib']:.0f} MiB")
    return lines


def reference(row: dict) -> tuple[int, str]:
    """What a contested row's ratios divide by: the proven optimum, else the best bound."""
    if row["proven"]:
        return row["optimum"], "optimum"
    return row["best_bound"], "bound"


def _columns(planned: bool) -> list[tuple[str, object]]:
    """(name, cell of a row given its reference) for the contested table; the planning-ahead
    columns only when that contender ran (--plan-ahead)."""
    n = lambda key: (lambda r, ref: str(r[key]))  # noqa: E731
    share = lambda key: (lambda r, ref: f"{r[key] / ref[0]:.4f}")  # noqa: E731
    secs = lambda key, digits=1: (lambda r, ref: f"{r[key]:.{digits}f}")  # noqa: E731
    cols = [("seed", n("seed")), ("kind", n("kind")), ("requests", n("requests")), ("labbook", n("labbook")),
            ("planned", n("planned")), ("fcfs", n("fcfs")), ("fcfs-earliest", n("earliest")),
            ("optimum", n("optimum")), ("proven", lambda r, ref: f"{r['methods_proven']}/{r['methods']}"),
            ("best bound", n("best_bound")), ("flow bound", n("flow_bound")), ("ref", lambda r, ref: ref[1]),
            ("labbook/ref", share("labbook")), ("planned/ref", share("planned")),
            ("labbook/found", lambda r, ref: f"{r['labbook'] / r['optimum']:.4f}"), ("fcfs/ref", share("fcfs")),
            ("labbook s", secs("labbook_s")), ("planned s", secs("planned_s")), ("solved rounds", n("rounds")),
            ("round s max", secs("round_s_max", 2)), ("optimum s", secs("optimum_s"))]
    return [c for c in cols if planned or c[0] not in PLANNED_COLUMNS]


PLANNED_COLUMNS = {"planned", "planned/ref", "planned s", "solved rounds", "round s max"}


def contested_table(rows: list[dict]) -> Table:
    out = Table(title="contested instances (capacity binds); ref: the proven optimum, else the best bound "
                "(labbook's share of the optimum lies between labbook/ref and labbook/found)")
    columns = _columns(all("planned" in r for r in rows))
    for name, _ in columns:
        out.add_column(name, justify="left" if name in ("kind", "ref") else "right")
    for r in rows:
        ref = reference(r)
        out.add_row(*(cell(r, ref) for _, cell in columns))
    return out


def matched_vs_optimum(rows: list[dict]) -> tuple[float, str]:
    """The lower of labbook's backlog and stream ratios (placed over reference, summed over
    seeds), and what the reference was. With --plan-ahead, labbook is its planning-ahead
    run (the `planned` column, services/booking/scheduler/planning.py)."""
    ours = "planned" if all("planned" in r for r in rows) else "labbook"
    ratios, refs = {}, set()
    for kind in dict.fromkeys(r["kind"] for r in rows):
        mine = [r for r in rows if r["kind"] == kind]
        ratios[kind] = sum(r[ours] for r in mine) / sum(reference(r)[0] for r in mine)
        refs.update(reference(r)[1] for r in mine)
    kind = min(ratios, key=ratios.get)
    used = "the proven optimum" if refs == {"optimum"} else (
        "the best bound" if refs == {"bound"} else "the proven optimum where proven, else the best bound")
    return ratios[kind], f"{kind} ({ours}); divided by {used}; " + ", ".join(f"{k} {v:.4f}" for k, v in ratios.items())


def plot(rows: list[dict]) -> Path:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    instances = list(dict.fromkeys(r["instance"] for r in rows))
    fig, axes = plt.subplots(1, len(instances), figsize=(5 * len(instances), 4), squeeze=False)
    for ax, inst in zip(axes[0], instances):
        mine = [r for r in rows if r["instance"] == inst]
        bars = ax.bar([label(r) for r in mine], [r["placed"] for r in mine],
                      color=[f"C{i}" for i in range(len(mine))])
        ax.bar_label(bars, [f"{r['placed']:,}\n{r['seconds']:.1f} s" for r in mine], fontsize=7)
        ax.margins(y=0.15)
        ax.set_title(inst, fontsize=9)
        ax.set_ylabel("requests placed within deadline")
        ax.tick_params(axis="x", labelrotation=20, labelsize=8)
    OUT.mkdir(exist_ok=True)
    path = OUT / "matching.png"
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    return path
