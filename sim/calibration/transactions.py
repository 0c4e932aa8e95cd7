"""Customer information files: reading a transaction log and describing the customer base (RM notes; CIF notes).

A log has one row per transaction: customer id, date, amount, and
optionally cost and segment.  Reading validates it and reports every
problem with counts and examples, never dropping rows silently.  From it
come the RFM table (recency, frequency, monetary value, tenure) and the
summary the buy-till-you-die models are fitted to.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from sim.errors import CrmsimWarning, UsageError

DAYS_PER_WEEK = 7.0


class LogError(UsageError):
    """A transaction log cannot be used as it is; the message says what and where."""


@dataclass(frozen=True)
class Columns:
    """Names of the log's columns (configurable: logs come from many systems)."""

    customer: str = "customer_id"
    date: str = "date"
    amount: str = "amount"
    cost: str | None = None
    segment: str | None = None


def _examples(df: pd.DataFrame, mask: pd.Series, k: int = 3) -> str:
    rows = df.index[mask][:k].tolist()
    return ", ".join(str(r + 2) for r in rows)  # +2: a header line and 1-based numbering, as a spreadsheet shows them


def _read_table(path: Path, columns: Columns) -> pd.DataFrame:
    """The raw table of a CSV or Parquet file (ids read as text), or a LogError saying why it cannot be read."""
    if not path.is_file():
        raise LogError(f"{path}: no such file")
    parquet = path.suffix.lower() in (".parquet", ".pq")
    try:
        return pd.read_parquet(path) if parquet else pd.read_csv(path, dtype={columns.customer: str})
    except Exception as exc:  # pandas raises many kinds for unreadable files
        raise LogError(f"{path}: cannot be read as {'Parquet' if parquet else 'CSV'} ({exc})") from None


def read_log(
    path: str | Path,
    columns: Columns = Columns(),
    date_format: str | None = None,
    allow_duplicates: bool = False,
    frame: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Read and validate a transaction log (CSV or Parquet) into columns customer, date, amount[, cost, segment].

    Raises :class:`LogError` listing every problem: missing columns, dates
    that do not parse, negative or missing amounts, and duplicate rows
    (identical customer, date and amount; pass ``allow_duplicates=True`` if
    they are real repeat purchases).  `frame` validates an in-memory table.
    """
    if frame is None:
        frame = _read_table(Path(path), columns)
    where = str(path)
    wanted = {"customer": columns.customer, "date": columns.date, "amount": columns.amount}
    for extra in ("cost", "segment"):
        if getattr(columns, extra):
            wanted[extra] = getattr(columns, extra)
    missing = [f"{role} ({name!r})" for role, name in wanted.items() if name not in frame.columns]
    if missing:
        raise LogError(
            f"{where}: missing columns {', '.join(missing)}; columns present: {list(frame.columns)}; "
            "set the names with --customer/--date/--amount"
        )
    shared = [name for name in set(wanted.values()) if list(wanted.values()).count(name) > 1]
    if shared:
        roles = [f"--{role}" for role, name in wanted.items() if name == shared[0]]
        raise LogError(f"{' and '.join(roles)} both name the column {shared[0]!r}; give each role a column of its own")
    df = frame[list(wanted.values())].rename(columns={v: k for k, v in wanted.items()}).reset_index(drop=True)
    problems = []
    dates = parse_dates(df["date"], date_format)
    bad = dates.isna()
    if bad.any():
        problems.append(_unparsed_dates(df, bad, date_format))
    amount, wrong = _amounts(df)
    problems += wrong
    if "segment" in df:
        problems += _segment_problems(df)
    if df["customer"].isna().any():
        problems.append(
            f"{int(df['customer'].isna().sum())} rows have no customer id (rows {_examples(df, df['customer'].isna())})"
        )
    df = df.assign(date=dates, amount=amount)
    dup = df.duplicated(["customer", "date", "amount"], keep="first")
    if dup.any() and not allow_duplicates:
        problems.append(
            f"{int(dup.sum())} duplicate rows (same customer, date and amount; rows {_examples(df, dup)}); "
            "remove them, or pass --allow-duplicates if they are real repeat purchases"
        )
    if problems:
        raise LogError(f"{where}: " + "; ".join(problems))
    if "cost" in df:
        cost = pd.to_numeric(df["cost"], errors="coerce")
        bad = np.isinf(cost) | (cost < 0)
        if bad.any():
            raise LogError(f"{where}: {int(bad.sum())} costs are negative or infinite (rows {_examples(df, bad)})")
        df["cost"] = cost.fillna(0.0)
    _warn_future(df, where)
    df["customer"] = df["customer"].astype(str)
    return df.sort_values(["customer", "date"], kind="stable").reset_index(drop=True)


#: Dates a transaction log can hold; anything outside is a typo or a placeholder (0000-01-01, 9999-12-31).
FIRST_DATE, LAST_DATE = pd.Timestamp("1900-01-01"), pd.Timestamp("2199-12-31")


def _amounts(df: pd.DataFrame) -> tuple[pd.Series, list[str]]:
    """The amounts as numbers, and what is wrong with them: missing, not numbers, infinite or negative."""
    amount = pd.to_numeric(df["amount"], errors="coerce")
    problems = []
    bad = amount.isna()
    if bad.any():
        problems.append(f"{int(bad.sum())} amounts are missing or not numbers (rows {_examples(df, bad)})")
    infinite = np.isinf(amount)
    if infinite.any():
        problems.append(
            f"{int(infinite.sum())} amounts are infinite or too large to hold (rows {_examples(df, infinite)})"
        )
        amount = amount.where(~infinite)
    neg = amount < 0
    if neg.any():
        problems.append(
            f"{int(neg.sum())} amounts are negative (rows {_examples(df, neg)}); "
            "remove returns or net them against purchases first"
        )
    return amount, problems


def _warn_future(df: pd.DataFrame, where: str) -> None:
    """Say how many transactions are dated after today, and where (a typo, or a simulated log): they are kept."""
    future = df["date"] > pd.Timestamp.now().normalize() + pd.Timedelta(days=1)
    if future.any():
        warnings.warn(
            f"{where}: {int(future.sum())} of {len(df):,} transactions are dated after today "
            f"(rows {_examples(df, future)}; e.g. {df.loc[future, 'date'].iloc[0].date()}); they are used as given",
            CrmsimWarning,
            stacklevel=3,
        )


def parse_dates(raw: pd.Series, date_format: str | None = None) -> pd.Series:
    """Calendar days (NaT where a value does not parse or lies outside 1900-2199); zoned times are taken in UTC.

    A purchase's time of day is dropped: the models count days (two purchases on one day are one transaction).
    """
    parsed = pd.to_datetime(raw.astype(str), format=date_format, errors="coerce", utc=True).dt.tz_convert(None)
    inside = (parsed >= FIRST_DATE) & (parsed <= LAST_DATE)
    return parsed.where(inside).astype("datetime64[ns]").dt.normalize()


def check_date_format(date_format: str) -> str:
    """A strftime format that pandas can parse with, or a LogError naming --date-format."""
    try:
        pd.to_datetime(pd.Series(["2020-01-02"]), format=date_format, errors="coerce")
    except ValueError as exc:
        raise LogError(f"--date-format {date_format!r}: {exc}; give a strftime format such as %Y-%m-%d") from None
    return date_format


def _unparsed_dates(df: pd.DataFrame, bad: pd.Series, date_format: str | None) -> str:
    """What is wrong with the dates that do not parse: one format that does not fit, or two formats mixed."""
    if date_format is None:
        iso = parse_dates(df["date"], "ISO8601").notna()
        other = ~iso & parse_dates(df["date"], "mixed").notna()  # dates, but in another format
        if iso.any() and other.any():
            return (
                f"the dates are in more than one format: {int(iso.sum())} are ISO (YYYY-MM-DD; rows "
                f"{_examples(df, iso)}; e.g. {df.loc[iso, 'date'].iloc[0]!r}) and {int(other.sum())} are not (rows "
                f"{_examples(df, other)}; e.g. {df.loc[other, 'date'].iloc[0]!r}); convert them to one format, "
                "or give the others' format with --date-format"
            )
    return (
        f"{int(bad.sum())} dates do not parse{' as ' + date_format if date_format else ''} or lie outside "
        f"{FIRST_DATE.year}-{LAST_DATE.year} (rows {_examples(df, bad)}; e.g. {df.loc[bad, 'date'].iloc[0]!r})"
    )


def _segment_problems(df: pd.DataFrame) -> list[str]:
    """A segment column that is empty, or gives a customer more than one segment, cannot be fitted per segment."""
    missing = df["segment"].isna() | (df["segment"].astype(str).str.strip() == "")
    if missing.all():
        return ["the segment column is empty in every row; drop --segment or fill it in"]
    problems = []
    if missing.any():
        problems.append(f"{int(missing.sum())} rows have no segment (rows {_examples(df, missing)})")
    per = df[~missing].groupby("customer")["segment"].nunique()
    varies = per[per > 1]
    if len(varies):
        who = varies.index[0]
        labels = sorted(df.loc[df["customer"] == who, "segment"].astype(str).unique())[:3]
        problems.append(
            f"the segment varies within {len(varies)} customers (e.g. customer {who}: {', '.join(labels)}); "
            "give each customer one segment"
        )
    return problems


def summarize(log: pd.DataFrame, end: pd.Timestamp | str, unit_days: float = DAYS_PER_WEEK) -> pd.DataFrame:
    """Per-customer buy-till-you-die summary up to `end`: frequency, recency, T (in weeks) and monetary value.

    As in Fader, Hardie and Lee (2005): purchases on the same day count as one
    transaction; frequency is the number of repeat transactions (days after
    the first), recency the time from the first to the last, T the time from
    the first purchase to `end`; monetary value is the mean value of the
    repeat transactions (0 when there are none).
    """
    end = pd.Timestamp(end)
    cal = log[log["date"] <= end]
    if cal.empty:
        raise LogError(f"no transactions on or before {end.date()}; choose a later calibration end")
    daily = cal.groupby(["customer", "date"], sort=True)["amount"].sum().reset_index()
    first = daily.groupby("customer")["date"].transform("min")
    daily["repeat"] = daily["date"] > first
    g = daily.groupby("customer")
    out = pd.DataFrame(
        {
            "frequency": g["repeat"].sum().astype(int),
            "recency": (g["date"].max() - g["date"].min()).dt.days / unit_days,
            "T": (end - g["date"].min()).dt.days / unit_days,
            "first_purchase": g["date"].min(),
        }
    )
    rep = daily[daily["repeat"]].groupby("customer")["amount"].mean()
    out["monetary_value"] = rep.reindex(out.index).fillna(0.0)
    if "segment" in log:
        out["segment"] = log.groupby("customer")["segment"].first().reindex(out.index)
    return out


def rfm(log: pd.DataFrame, end: pd.Timestamp | str, bins: int = 5) -> pd.DataFrame:
    """RFM table: recency (days since last purchase), frequency, monetary value, tenure, and 1..bins scores and segment.

    Scores are quantile bins (higher is better: more recent, more frequent,
    more spent); the RFM cell is the three digits, e.g. "545".
    """
    end = pd.Timestamp(end)
    cal = log[log["date"] <= end]
    g = cal.groupby("customer")
    table = pd.DataFrame(
        {
            "recency_days": (end - g["date"].max()).dt.days,
            "frequency": g["date"].nunique(),
            "monetary": g["amount"].sum(),
            "tenure_days": (end - g["date"].min()).dt.days,
        }
    )

    def score(x: pd.Series, higher_better: bool) -> pd.Series:
        ranks = x.rank(method="first", ascending=higher_better)
        return pd.qcut(ranks, bins, labels=False) + 1

    table["r_score"] = score(table["recency_days"], higher_better=False)
    table["f_score"] = score(table["frequency"], higher_better=True)
    table["m_score"] = score(table["monetary"], higher_better=True)
    table["rfm_cell"] = table["r_score"].astype(str) + table["f_score"].astype(str) + table["m_score"].astype(str)
    return table


def base_summary(log: pd.DataFrame, end: pd.Timestamp | str) -> pd.Series:
    """The classic customer-base figures up to `end`."""
    cal = log[log["date"] <= pd.Timestamp(end)]
    per = cal.groupby("customer").agg(n=("date", "nunique"), spend=("amount", "sum"))
    return pd.Series(
        {
            "customers": len(per),
            "transactions": int(per["n"].sum()),
            "revenue": float(per["spend"].sum()),
            "share_repeat_buyers": float((per["n"] > 1).mean()),
            "mean_transactions_per_customer": float(per["n"].mean()),
            "mean_spend_per_customer": float(per["spend"].mean()),
            "top_20pct_share_of_revenue": float(
                np.sort(per["spend"].to_numpy())[::-1][: max(1, len(per) // 5)].sum() / per["spend"].sum()
            ),
        }
    )


def simulated_log(panel: pd.DataFrame, start: pd.Timestamp | str, seed: int) -> pd.DataFrame:
    """A transaction log (customer_id, date, amount) from a simulated customer-month panel, as `read_log` reads it.

    Month p is the p-th calendar month from `start`.  Each purchase of a
    customer-month becomes one row on a day drawn uniformly within it, its
    amount the month's revenue shared equally; the draws come from `seed`, so
    the same run gives the same log.  With more than one replication, ids are
    prefixed with the replication (``"3-127"``): each is another sample.
    """
    bought = panel[panel["purchases"] > 0]
    count = bought["purchases"].to_numpy(dtype=np.int64)
    rows = np.repeat(np.arange(len(bought)), count)
    rng = np.random.default_rng([seed, 20261126])
    period = bought["period"].to_numpy()[rows]
    # Month p runs from `start` plus p calendar months to the day before month p + 1 starts.
    starts = pd.DatetimeIndex(
        [pd.Timestamp(start) + pd.DateOffset(months=k) for k in range(int(period.max(initial=0)) + 2)]
    )
    length = (starts[1:] - starts[:-1]).days.to_numpy()
    dates = starts[period] + pd.to_timedelta(np.floor(rng.random(len(rows)) * length[period]), unit="D")
    customer = bought["customer"].astype(str).to_numpy()[rows]
    if panel["replication"].nunique() > 1:
        customer = bought["replication"].astype(str).to_numpy()[rows] + "-" + customer
    log = pd.DataFrame(
        {
            "customer_id": customer,
            "date": dates.strftime("%Y-%m-%d"),
            "amount": np.round(bought["revenue"].to_numpy(dtype=float)[rows] / count[rows], 2),
        }
    )
    return log.sort_values(["customer_id", "date"], kind="stable").reset_index(drop=True)
