"""What the demo ends with: the figures cluster staff would quote, read back from the
public APIs (queue, unmet demand, delivery log), and where to look next."""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from rich.console import Console
from rich.table import Table

from schemas.catalogue import CATALOGUE
from schemas.reasons import REASON_LABELS, UnmatchedReason
from schemas.regions import REGIONS_BY_CODE
from schemas.states import PLACED, RequestStatus as S
from schemas.tokens import DEFAULT_TTL_S
from schemas.values import Role

WAITING = (S.SUBMITTED, S.MATCHING)


@dataclass(frozen=True)
class Summary:
    total: int
    by_status: dict[str, int]
    placed: int
    unmatched_by_reason: dict[str, int]
    no_lab_in_russia: list[tuple[str, int, list[tuple[str, int]]]]  # method, count, top regions
    notifications: dict[tuple[str, str], int]  # (channel, delivery status) -> count


def summarise(queue: dict, unmet: dict, deliveries: list[dict], *, top: int = 5) -> Summary:
    by_status = queue["by_status"]
    reasons: Counter[str] = Counter()
    unheld: dict[str, Counter[str]] = {}
    for item in unmet["items"]:
        reasons[item["reason"]] += item["count"]
        if item["reason"] == UnmatchedReason.NO_ACCREDITED_LAB:
            unheld.setdefault(item["method_code"], Counter())[item["region"]] += item["count"]
    ranked = sorted(unheld.items(), key=lambda kv: (-sum(kv[1].values()), kv[0]))[:top]
    return Summary(
        total=queue["total"], by_status=by_status, placed=sum(by_status.get(s, 0) for s in PLACED),
        unmatched_by_reason=dict(reasons.most_common()),
        no_lab_in_russia=[(m, sum(r.values()), r.most_common(3)) for m, r in ranked],
        notifications=dict(Counter((d["channel"], d["status"]) for d in deliveries)))


def settled(queue: dict) -> bool:
    """Nothing left for the scheduler: every request placed, unmatched, cancelled or done."""
    return sum(queue["by_status"].get(s, 0) for s in WAITING) == 0


def render(console: Console, s: Summary, *, dashboard: tuple[str, str], mail_dir: str, seconds: float) -> None:
    share = s.placed / s.total if s.total else 0.0
    console.rule(f"labbook demo: {s.total:,} requests after {seconds:.0f} s")
    console.print(f"[bold]Placed with a lab before the deadline:[/] {s.placed:,} ({share:.0%})")
    statuses = Table("status", "requests", title="Requests by status", title_justify="left")
    for status in S:
        if count := s.by_status.get(status, 0):
            statuses.add_row(status, f"{count:,}")
    console.print(statuses)
    reasons = Table("reason", "requests", title="Unmatched, by reason", title_justify="left")
    for code, count in s.unmatched_by_reason.items():
        reasons.add_row(REASON_LABELS.get(code, (code,))[0], f"{count:,}")
    console.print(reasons)
    unheld = Table("method", "standard", "requests", "from (top regions)", title="Tests no lab in Russia can run",
                   title_justify="left")
    for method, count, regions in s.no_lab_in_russia:
        standard = CATALOGUE[method].standard if method in CATALOGUE else ""
        where = ", ".join(f"{REGIONS_BY_CODE[r].name_en if r in REGIONS_BY_CODE else r} {n}" for r, n in regions)
        unheld.add_row(method, standard, f"{count:,}", where)
    console.print(unheld)
    sent = Table("channel", "delivered", "failed", "waiting", title="Notifications", title_justify="left")
    for channel in sorted({c for c, _ in s.notifications}):
        delivered, failed = s.notifications.get((channel, "delivered"), 0), s.notifications.get((channel, "failed"), 0)
        waiting = sum(n for (c, status), n in s.notifications.items() if c == channel) - delivered - failed
        sent.add_row(channel, f"{delivered:,}", f"{failed:,}", f"{waiting:,}")
    console.print(sent)
    console.print(f"Mail caught locally: [bold]labbook mail list[/] (files in {mail_dir})")
    url, token = dashboard
    console.print(f"Dashboard: [bold]{url}[/] — sign in with this cluster staff token (it expires in "
                  f"{DEFAULT_TTL_S[Role.STAFF] // 3600} h; another `labbook demo` prints a fresh one):")
    console.print(token, soft_wrap=True, markup=False, highlight=False)
