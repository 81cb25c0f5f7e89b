"""``flask --app surveyapp analyze ...``: the analysis layer over any CSV file, printing JSON.

    analyze proportion FILE --var y [--value 1] [--weight w --strata s --cluster c --fpc N] [--by g]
    analyze mean FILE --var score [design options] [--by g]
    analyze rake FILE --weight w0 --margins MARGINS.csv [--var y [--mean]] [--trim-upper 3]
    analyze crosstab FILE --row a --col b [design options] [--suppress-below 5]
    analyze alpha FILE --items q1,q2,q3
    analyze compare FILE1 FILE2 --var y [design options] [--by g --adjust holm]

Every estimate carries estimate, se, ci_low, ci_high and n (plus deff, df, statistic and
p_value where they apply); the output always starts with an ``inputs`` block. The commands
read only the CSV files: no app context, no database.
"""

from __future__ import annotations

import dataclasses
import json
import math
from pathlib import Path
from typing import Any

import click
import pandas as pd
from flask.cli import AppGroup

from surveyapp.analysis import compare, crosstab, estimates, scales, weighting
from surveyapp.analysis.design import Design
from surveyapp.analysis.results import json_ready

analyze_cli = AppGroup("analyze", help="Survey statistics on any CSV file (no database), printed as JSON.")
ENCODINGS = ("utf-8-sig", "gb18030")  # UTF-8 with or without BOM, then Excel's Chinese encoding


def read_csv(path: str) -> pd.DataFrame:
    """The CSV as a frame, trying UTF-8 (with or without BOM) and then GB18030."""
    for encoding in ENCODINGS:
        try:
            return pd.read_csv(path, encoding=encoding)
        except UnicodeDecodeError:
            continue
        except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
            raise click.ClickException(f"{path}: not a readable CSV file ({str(exc).strip()})") from None
    raise click.ClickException(f"{path}: neither UTF-8 nor GBK/GB18030 text")


def require(frame: pd.DataFrame, path: str, *columns: str | None) -> None:
    """Stop with a one-line message when a column is missing from the file."""
    for column in columns:
        if column is not None and column not in frame.columns:
            raise click.ClickException(f"{path}: no column {column!r} (columns: {', '.join(map(str, frame.columns))})")


def numeric(frame: pd.DataFrame, column: str, role: str, complete: bool = False) -> pd.Series:
    """``column`` as floats (missing = NaN); non-numbers, or any gap when ``complete``, are an error."""
    values = pd.to_numeric(frame[column], errors="coerce")
    bad = values.isna() & frame[column].notna()
    if bad.any():
        raise click.ClickException(f"{role} column {column!r} is not numeric "
                                   f"({frame[column][bad].iloc[0]!r} in data row {bad.to_numpy().argmax() + 1})")
    if complete and values.isna().any():
        raise click.ClickException(f"{role} column {column!r} has {int(values.isna().sum())} missing value(s)")
    return values.astype(float)


def design_from_options(frame: pd.DataFrame, path: str, weight: str | None, strata: str | None,
                        cluster: str | None, fpc: str | None) -> Design | None:
    """The design the options describe, or None (a simple random sample) when none is given."""
    require(frame, path, weight, strata, cluster, fpc)
    if weight is None and strata is None and cluster is None and fpc is None:
        return None
    for column, role in ((weight, "weight"), (fpc, "fpc")):
        if column is not None and (numeric(frame, column, role, complete=True) < 0).any():
            raise click.ClickException(f"{role} column {column!r} has negative values")
    for column, role in ((strata, "strata"), (cluster, "cluster")):
        gaps = 0 if column is None else int(frame[column].isna().sum())
        if gaps:
            raise click.ClickException(f"{role} column {column!r} has {gaps} missing value(s)")
    return Design.from_frame(frame, weight, strata, cluster, fpc)


def indicator(frame: pd.DataFrame, var: str, value: str | None) -> pd.Series:
    """1.0 where ``var`` equals ``value`` (or is 1/true), 0.0 elsewhere, NaN where missing."""
    column, valid = frame[var], frame[var].notna()
    if value is not None:
        given = pd.to_numeric(pd.Series([value]), errors="coerce").iloc[0]
        as_number = pd.to_numeric(column, errors="coerce")
        numbers = pd.api.types.is_numeric_dtype(column) and not math.isnan(given)
        match = (as_number == given) if numbers else (column.astype(object).map(str) == value)
        return match.astype(float).where(valid)
    values = pd.to_numeric(column, errors="coerce")
    if (values.isna() & valid).any() or not values.dropna().isin([0.0, 1.0]).all():
        levels = sorted(map(str, column[valid].unique()))
        shown = ", ".join(levels[:15]) + (", …" if len(levels) > 15 else "")
        raise click.ClickException(f"column {var!r} is not 0/1 or true/false (values: {shown}); "
                                   "say which value counts with --value")
    return values.astype(float)


def answers(frame: pd.DataFrame, var: str, value: str | None, as_mean: bool) -> pd.Series:
    """The analysed values of ``var``: numbers for a mean, a 0/1 indicator for a proportion."""
    return numeric(frame, var, "--var") if as_mean else indicator(frame, var, value)


def inputs(files: list[str], frames: list[pd.DataFrame], used: list[int]) -> dict[str, Any]:
    """The inputs block: file(s), rows read and used, and every option given."""
    params = click.get_current_context().params
    options = {k: v for k, v in params.items() if v is not None and v is not False
               and k not in ("file", "file1", "file2", "output")}
    one = len(files) == 1
    return {"file": files[0] if one else files,
            "rows_read": len(frames[0]) if one else [len(f) for f in frames],
            "rows_used": used[0] if one else used, "options": options}


def emit(data: dict[str, Any], output: str | None) -> None:
    """Pretty JSON to ``output`` or stdout."""
    text = json.dumps(json_ready(data), indent=2, ensure_ascii=False, allow_nan=False)
    if output:
        Path(output).write_text(text + "\n", encoding="utf-8")
    else:
        click.echo(text)


def estimate_command(file: str, var: str, value: str | None, as_mean: bool, by: str | None,
                     output: str | None, design_opts: dict[str, Any], **kw: Any) -> None:
    """Shared body of ``proportion`` and ``mean``: one estimate, or one per level of ``by``."""
    frame = read_csv(file)
    require(frame, file, var, by)
    design = design_from_options(frame, file, **design_opts)
    y = answers(frame, var, value, as_mean)
    func = estimates.mean if as_mean else estimates.proportion
    try:
        if by is None:
            result: dict[str, Any] = {"result": func(y, design=design, **kw).to_dict()}
            used = int(y.notna().sum())
        else:
            groups = estimates.by(frame.assign(**{var: y}), func, var, by, design=design, **kw)
            result = {"by": by, "results": [{"group": g, **e.to_dict()} for g, e in groups.items()]}
            used = int((y.notna() & frame[by].notna()).sum())
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    emit({"inputs": inputs([file], [frame], [used]), **result}, output)


def design_options(command):
    """--weight, --strata, --cluster and --fpc (column names)."""
    for name, text in (("--fpc", "FPC column: population size per stratum (in PSUs) or sampling fraction."),
                       ("--cluster", "Cluster (PSU) column."), ("--strata", "Stratum column."),
                       ("--weight", "Weight column.")):
        command = click.option(name, metavar="COLUMN", help=text)(command)
    return command


level_option = click.option("--level", type=click.FloatRange(0, 1, min_open=True, max_open=True),
                            default=0.95, show_default=True, help="Confidence level.")
output_option = click.option("--output", type=click.Path(dir_okay=False), help="Write the JSON to this file.")
value_option = click.option("--value", help="The value of --var that counts as 1 (default: 0/1 or true/false).")
mean_option = click.option("--mean", "as_mean", is_flag=True, help="The mean of --var instead of a proportion.")
CI_METHODS = sorted(set(estimates.SRS_METHODS) | set(estimates.DESIGN_METHODS))


@analyze_cli.command("proportion", with_appcontext=False)
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--var", required=True, help="The 0/1 (or --value) column.")
@value_option
@design_options
@click.option("--by", metavar="COLUMN", help="One estimate per level of this column (domains).")
@click.option("--ci", type=click.Choice(CI_METHODS, case_sensitive=False),
              help="Interval: wilson (default), clopper-pearson, ... unweighted; "
                   "logit (default), beta, mean or asin under a design.")
@level_option
@output_option
def proportion_cmd(file, var, value, by, ci, level, output, **design) -> None:
    """The share of --var equal to 1 (or --value), with SE, CI and design effect."""
    if ci and any(design.values()) and ci.lower() not in estimates.DESIGN_METHODS:
        raise click.ClickException(f"--ci {ci} is for unweighted data; under a design use "
                                   f"{', '.join(sorted(estimates.DESIGN_METHODS))}")
    estimate_command(file, var, value, False, by, output, design, ci=ci, level=level)


@analyze_cli.command("mean", with_appcontext=False)
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--var", required=True, help="The numeric column.")
@design_options
@click.option("--by", metavar="COLUMN", help="One estimate per level of this column (domains).")
@level_option
@output_option
def mean_cmd(file, var, by, level, output, **design) -> None:
    """The mean of --var with SE, t interval and design effect."""
    estimate_command(file, var, None, True, by, output, design, level=level)


@analyze_cli.command("rake", with_appcontext=False)
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--weight", metavar="COLUMN", help="Base weight column (default: all 1).")
@click.option("--margins", required=True, type=click.Path(exists=True, dir_okay=False),
              help="CSV with columns margin, level, pop_total.")
@click.option("--trim-lower", type=float, help="Then trim weights below this multiple of the mean weight.")
@click.option("--trim-upper", type=float, help="Then trim weights above this multiple of the mean weight.")
@click.option("--var", help="Also estimate this column under the raked weights (calibration-aware SE).")
@value_option
@mean_option
@click.option("--strata", metavar="COLUMN", help="Stratum column (for the --var estimate).")
@click.option("--cluster", metavar="COLUMN", help="Cluster (PSU) column (for the --var estimate).")
@level_option
@output_option
def rake_cmd(file, weight, margins, trim_lower, trim_upper, var, value, as_mean, strata, cluster, level,
             output) -> None:
    """Rake the base weights to population margins; summarise them and optionally estimate --var."""
    frame, table = read_csv(file), read_csv(margins)
    require(frame, file, var)
    design = design_from_options(frame, file, weight, strata, cluster, None)
    try:
        targets = weighting.margins_from_frame(table)
        raked = weighting.rake(frame, weight, targets)
        weights = raked.weights
        if trim_lower is not None or trim_upper is not None:
            weights = weighting.trim(weights, trim_lower, trim_upper, relative_to=float(weights.mean()))
        result: dict[str, Any] = {"weights": weighting.weight_summary(weights), "iterations": raked.iterations,
                                  "converged": raked.converged, "max_margin_error": raked.max_error,
                                  "trimmed": weights is not raked.weights}
        if result["trimmed"]:
            result["notes"] = ["trimmed after raking: the margins are no longer met exactly"]
        if var is not None:
            y = answers(frame, var, value, as_mean)
            func = weighting.calibrated_mean if as_mean else weighting.calibrated_proportion
            est = func(frame.assign(**{var: y}), var, weight, weights, list(targets), design=design, level=level)
            result["result"] = est.to_dict()
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    used = len(frame) if var is None else int(y.notna().sum())
    emit({"inputs": inputs([file], [frame], [used]), **result}, output)


@analyze_cli.command("crosstab", with_appcontext=False)
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--row", required=True, help="Row variable.")
@click.option("--col", required=True, help="Column variable.")
@design_options
@click.option("--suppress-below", type=click.IntRange(1), help="Hide cells with fewer respondents than this.")
@output_option
def crosstab_cmd(file, row, col, suppress_below, output, **design_opts) -> None:
    """Counts, percentages and the test of association (Pearson, or Rao–Scott under a design)."""
    frame = read_csv(file)
    require(frame, file, row, col)
    design = design_from_options(frame, file, **design_opts)
    try:
        table = crosstab.crosstab(frame, row, col, design, suppress_below)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    emit({"inputs": inputs([file], [frame], [table.base]), "result": table.to_dict()}, output)


@analyze_cli.command("alpha", with_appcontext=False)
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--items", required=True, help="Comma-separated item columns, e.g. q1,q2,q3.")
@output_option
def alpha_cmd(file, items, output) -> None:
    """Cronbach's alpha of the items over complete cases, with alpha-if-deleted."""
    frame = read_csv(file)
    names = [item.strip() for item in items.split(",") if item.strip()]
    require(frame, file, *names)
    data = pd.DataFrame({name: numeric(frame, name, "item") for name in names})
    try:
        alpha = scales.cronbach_alpha(data, names)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    # Feldt's interval; no standard error is given for alpha (the key is there, empty).
    result = {"estimate": alpha.alpha, "se": None, **alpha.to_dict()}
    emit({"inputs": inputs([file], [frame], [alpha.n]), "result": result}, output)


@analyze_cli.command("compare", with_appcontext=False)
@click.argument("file1", type=click.Path(exists=True, dir_okay=False))
@click.argument("file2", type=click.Path(exists=True, dir_okay=False))
@click.option("--var", required=True, help="The variable in both files.")
@value_option
@mean_option
@design_options
@click.option("--by", metavar="COLUMN", help="Compare within each level of this column.")
@click.option("--adjust", default="holm", show_default=True,
              type=click.Choice(list(compare.ADJUST_METHODS), case_sensitive=False),
              help="Multiplicity correction across the --by groups.")
@level_option
@output_option
def compare_cmd(file1, file2, var, value, as_mean, by, adjust, level, output, **design) -> None:
    """The change from FILE1 to FILE2 (second minus first), e.g. between two waves."""
    frames, files = [read_csv(file1), read_csv(file2)], [file1, file2]
    for frame, file in zip(frames, files):
        require(frame, file, var, by)
    designs = [design_from_options(f, p, **design) for f, p in zip(frames, files)]
    ys = [answers(f, var, value, as_mean) for f in frames]

    def change(y1: pd.Series, y2: pd.Series) -> compare.Difference:
        if not as_mean:
            return compare.compare_proportions(y1, y2, *designs, level=level)
        return compare.difference(estimates.mean(y1, designs[0], level), estimates.mean(y2, designs[1], level), level)

    if by is None:
        try:
            result: dict[str, Any] = {"result": change(*ys).to_dict()}
        except ValueError as exc:
            raise click.ClickException(str(exc)) from None
        used = [int(y.notna().sum()) for y in ys]
    else:
        levels = [set(f[by].dropna()) for f in frames]
        common, diffs = sorted(levels[0] & levels[1]), []
        for group in common:
            try:
                diffs.append(change(*(y.where(f[by] == group) for y, f in zip(ys, frames))))
            except ValueError as exc:
                raise click.ClickException(f"{by} = {group}: {exc}") from None
        adjusted = compare.adjust_pvalues([d.p_value for d in diffs], adjust)
        result = {"by": by, "adjust": adjust, "groups_not_in_both": sorted(map(str, levels[0] ^ levels[1])),
                  "results": [{"group": g, **dataclasses.replace(d, p_adjusted=p).to_dict()}
                              for g, d, p in zip(common, diffs, adjusted)]}
        used = [int((y.notna() & f[by].notna()).sum()) for y, f in zip(ys, frames)]
    emit({"inputs": inputs(files, frames, used), **result}, output)
