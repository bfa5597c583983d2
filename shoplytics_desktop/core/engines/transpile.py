"""Models and data tests, written for DuckDB, as PostgreSQL or Spark SQL.

sqlglot does most of the work (read ``duckdb``, write ``postgres`` / ``spark``); the rules below
fix what it gets wrong or leaves untranslated for our idioms. Each rule is a small function on the
parsed tree, tested on its own (tests/unit/test_transpile_rules.py), and only running a model on
the real engine proves a transpile: the engine tests compare every mart with DuckDB's.

A construct no rule can carry over is a :class:`TranspileError` naming the file, the line, the
construct and what to write instead (docs/portable_sql.md).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import cast

import sqlglot
from sqlglot import exp

from shoplytics_desktop.core.errors import ModelError

DIALECTS = ("postgres", "spark")


class TranspileError(ModelError):
    """A model or test uses a DuckDB construct that has no portable translation."""


@dataclass
class Context:
    dialect: str  # postgres | spark
    #: DuckDB variables (getvariable('name')) and their values, inlined as literals.
    variables: Mapping[str, object] = field(default_factory=dict)
    #: Catalog names in the DuckDB SQL ("staging.stg_events", "raw.events") → names on the engine.
    relations: Mapping[str, str] = field(default_factory=dict)
    #: Columns of relations, for SELECT * EXCLUDE (...): DuckDB names → column names in order.
    columns: dict[str, list[str]] = field(default_factory=dict)


@dataclass
class Unportable:
    """A construct with no translation: what it is, a pattern to find its line, what to write."""

    construct: str
    pattern: str
    instead: str


class _Unportable(Exception):  # an internal signal, turned into a TranspileError
    def __init__(self, what: Unportable) -> None:
        super().__init__(what.construct)
        self.what = what


Rule = Callable[[exp.Expression, Context], exp.Expression]


def _fn(name: str, *args: exp.Expression) -> exp.Expression:
    return exp.Anonymous(this=name, expressions=list(args))


def _parse(sql: str, dialect: str) -> exp.Expression:
    # parse_one is typed as returning the Expr base; every statement it parses is an Expression.
    return cast(exp.Expression, sqlglot.parse_one(sql, read=dialect))


# -- rules that apply on every engine ------------------------------------------------------------


def inline_variables(tree: exp.Expression, ctx: Context) -> exp.Expression:
    """getvariable('name') → the run's value as a literal (engines have no session variables)."""

    def fix(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Anonymous) and str(node.this).lower() == "getvariable":
            name = node.expressions[0].name if node.expressions else ""
            value = ctx.variables.get(name)
            if value is None:
                return exp.Null()
            if isinstance(value, bool):
                return exp.Boolean(this=value)
            if isinstance(value, int | float):
                return exp.Literal.number(value)
            return exp.Literal.string(str(value))
        return node

    return tree.transform(fix)


def rename_relations(tree: exp.Expression, ctx: Context) -> exp.Expression:
    """Qualified catalog names (layer.model, raw.table) → where they live on the engine."""
    ctes = {c.alias_or_name.lower() for c in tree.find_all(exp.CTE)}

    def fix(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Table) and node.name and not node.args.get("catalog"):
            key = f"{node.db}.{node.name}".lower() if node.db else node.name.lower()
            if not node.db and key in ctes:
                return node
            target = ctx.relations.get(key)
            if target:
                db, _, name = target.rpartition(".")
                new = exp.table_(name, db=db or None, alias=node.alias or None)
                return new
        return node

    return tree.transform(fix)


def drop_not_materialized(tree: exp.Expression, ctx: Context) -> exp.Expression:
    """WITH x AS [NOT] MATERIALIZED: a planner hint Spark does not parse."""
    if ctx.dialect == "spark":
        for cte in tree.find_all(exp.CTE):
            cte.set("materialized", None)
    return tree


def expand_star_exclude(tree: exp.Expression, ctx: Context) -> exp.Expression:
    """SELECT * EXCLUDE (c) → the remaining columns by name, from the CTEs' own select lists
    (and ctx.columns for tables), since neither engine has EXCLUDE."""
    ctes = {c.alias_or_name.lower(): c.this for c in tree.find_all(exp.CTE)}

    def output_columns(select: exp.Expression) -> list[str] | None:
        if isinstance(select, exp.Union):
            return output_columns(select.this)
        if not isinstance(select, exp.Select):
            return None
        names: list[str] = []
        for e in select.expressions:
            if isinstance(e, exp.Star) or (isinstance(e, exp.Column) and e.is_star):
                src = select.args.get("from_")
                if src is None or select.args.get("joins"):
                    return None
                inner = source_columns(src.this)
                if inner is None:
                    return None
                drop = {x.name.lower() for x in (e.args.get("except_") or [])} if isinstance(
                    e, exp.Star
                ) else set()
                names += [n for n in inner if n.lower() not in drop]
            else:
                if not e.alias_or_name:
                    return None
                names.append(e.alias_or_name)
        return names

    def source_columns(source: exp.Expression) -> list[str] | None:
        if isinstance(source, exp.Table):
            if not source.db and source.name.lower() in ctes:
                return output_columns(ctes[source.name.lower()])
            key = f"{source.db}.{source.name}".lower() if source.db else source.name.lower()
            cols = ctx.columns.get(key)
            return list(cols) if cols is not None else None
        if isinstance(source, exp.Subquery):
            return output_columns(source.this)
        return None

    for star in list(tree.find_all(exp.Star)):
        if not star.args.get("except_"):
            continue
        select = star.parent
        if not isinstance(select, exp.Select):
            continue
        src = select.args.get("from_")
        cols = source_columns(src.this) if src is not None and not select.args.get("joins") else None
        if cols is None:
            raise _Unportable(
                Unportable(
                    "SELECT * EXCLUDE (...) over a source whose columns are not known",
                    r"exclude\s*\(",
                    "list the columns you keep, or select * EXCLUDE from a CTE that lists its "
                    "columns",
                )
            )
        drop = {x.name.lower() for x in star.args["except_"]}
        keep = [exp.column(c) for c in cols if c.lower() not in drop]
        at = select.expressions.index(star)
        select.set("expressions", select.expressions[:at] + keep + select.expressions[at + 1 :])
    return tree


def asof_join(tree: exp.Expression, ctx: Context) -> exp.Expression:
    """``a ASOF LEFT JOIN b ON b.k = a.k AND a.t >= b.s`` → a plain left join on the equalities
    and ``b.s <= a.t < (b's next s for the same keys)``. Exact when b has one row per (keys, s),
    which is what an as-of join over distinct instants means."""
    for join in list(tree.find_all(exp.Join)):
        if str(join.args.get("method") or "").upper() != "ASOF":
            continue
        right = join.this
        alias = right.alias_or_name
        conds = list(join.args["on"].flatten()) if isinstance(join.args["on"], exp.And) else [
            join.args["on"]
        ]
        keys: list[exp.Column] = []
        ineq: tuple[exp.Column, exp.Column] | None = None  # (right's instant, left's instant)
        for c in conds:
            sides = [c.this, c.expression] if isinstance(c, exp.Binary) else []
            if isinstance(c, exp.EQ):
                keys += [s for s in sides if isinstance(s, exp.Column) and s.table == alias]
            elif isinstance(c, exp.GTE | exp.LTE) and ineq is None:
                big, small = (c.this, c.expression) if isinstance(c, exp.GTE) else (
                    c.expression, c.this
                )
                if isinstance(small, exp.Column) and small.table == alias:
                    ineq = (small, big)
        if ineq is None or not keys or not isinstance(right, exp.Table | exp.Subquery):
            raise _Unportable(
                Unportable(
                    "ASOF JOIN of a shape other than ON equalities AND left.t >= right.t",
                    r"asof\s",
                    "write it as `ASOF LEFT JOIN r ON r.key = l.key AND l.time >= r.time`",
                )
            )
        instant, left_instant = ineq
        inner_from = right.copy()
        inner_from.set("alias", None)
        source = (
            inner_from.this if isinstance(inner_from, exp.Subquery) else inner_from
        )
        nxt = exp.Window(
            this=exp.Lead(this=exp.column(instant.name)),
            partition_by=[exp.column(k.name) for k in keys],
            order=exp.Order(expressions=[exp.Ordered(this=exp.column(instant.name))]),
        )
        sub = (
            exp.select(exp.Star(), exp.alias_(nxt, "_asof_next"))
            .from_(source.subquery() if isinstance(source, exp.Select) else source)
            .subquery(alias)
        )
        upper = exp.or_(
            exp.column("_asof_next", alias).is_(exp.Null()),
            exp.LT(this=left_instant.copy(), expression=exp.column("_asof_next", alias)),
        )
        join.set("this", sub)
        join.set("method", None)
        join.set("on", exp.and_(join.args["on"], exp.paren(upper)))
    return tree


#: Marks an arg_min/arg_max made from a struct's field (struct_arg_fields): its NULL values count.
_KEEP_NULL_VALUES = "keep_null_values"


def struct_arg_fields(tree: exp.Expression, ctx: Context) -> exp.Expression:
    """A field of the first (or last) row's struct, ``arg_min({'a': x, 'b': y}, key).a``, → the
    first row's field, ``arg_min(x, key)``. DuckDB computes the struct's arg_min once for all
    its fields (one comparison of the key per row instead of one per field); the engines get one
    arg_min per field, which the rule arg_min_max carries over. Any other struct literal is
    refused (refuse_unportable)."""

    def fix(node: exp.Expression) -> exp.Expression:
        if not isinstance(node, exp.Dot) or not isinstance(node.expression, exp.Identifier):
            return node
        outer = node.this
        agg = outer.this if isinstance(outer, exp.Filter) else outer
        if not isinstance(agg, exp.ArgMin | exp.ArgMax) or not isinstance(agg.this, exp.Struct):
            return node
        wanted = node.expression.name.lower()
        value = next(
            (f.expression for f in agg.this.expressions
             if isinstance(f, exp.PropertyEQ) and f.this.name.lower() == wanted),
            None,
        )
        if value is None:
            return node  # no such field: refused below, as a struct literal
        picked = agg.__class__(this=value.copy(), expression=agg.expression.copy())
        # The struct is never NULL: DuckDB takes the first row's field even where it is NULL,
        # so the field's arg_min must not skip the rows whose field is NULL.
        picked.meta[_KEEP_NULL_VALUES] = True
        if isinstance(outer, exp.Filter):
            return exp.Filter(this=picked, expression=outer.expression.copy())
        return picked

    return tree.transform(fix)


def refuse_unportable(tree: exp.Expression, ctx: Context) -> exp.Expression:
    """Constructs no rule carries over: stop with what to write instead."""
    for node in tree.walk():
        if isinstance(node, exp.Anonymous) and str(node.this).lower() == "hash":
            raise _Unportable(
                Unportable(
                    "hash(): each engine hashes differently, so ties would break differently",
                    r"\bhash\s*\(",
                    "order ties by the id itself, e.g. arg_min(x, (event_time, event_id))",
                )
            )
        if isinstance(node, exp.Struct):
            raise _Unportable(
                Unportable(
                    "a struct literal {'key': value}",
                    r"\{\s*'",
                    "one aggregate per field, e.g. arg_min(country, (t, id)) as first_country, "
                    "or the fields of one, arg_min({'country': country, 'device': device}, "
                    "(t, id)).country",
                )
            )
        if isinstance(node, exp.DataType) and node.this in (
            exp.DataType.Type.INT128,
            exp.DataType.Type.UINT128,
        ):
            raise _Unportable(
                Unportable("HUGEINT", r"hugeint", "use BIGINT or DECIMAL(38, 0)")
            )
    return tree


#: The one order a sort key may ask for per column (the order of a row value).
_SORT_KEY_ORDER = "ASC NULLS LAST"


def sort_keys(tree: exp.Expression, ctx: Context) -> exp.Expression:
    """``create_sort_key(a, 'ASC NULLS LAST', b, 'ASC NULLS LAST')`` → the row value ``(a, b)``:
    both order by a, then b. DuckDB compares a sort key's bytes where it compares a row value
    field by field, so an aggregate ordered by one (``arg_max(x, create_sort_key(...))``) costs
    less there; the engines order by the row value (rule arg_min_max)."""

    def fix(node: exp.Expression) -> exp.Expression:
        if not (isinstance(node, exp.Anonymous) and str(node.this).lower() == "create_sort_key"):
            return node
        args = node.expressions
        values, orders = args[0::2], args[1::2]
        if not values or len(values) != len(orders) or not all(
            isinstance(o, exp.Literal) and o.is_string
            and " ".join(o.name.upper().split()) == _SORT_KEY_ORDER for o in orders
        ):
            raise _Unportable(Unportable(
                "create_sort_key with an order other than 'ASC NULLS LAST' on each column",
                r"create_sort_key",
                "create_sort_key(a, 'ASC NULLS LAST', b, 'ASC NULLS LAST'), or the row value (a, b)",
            ))
        copies: list[exp.Expression] = [v.copy() for v in values]
        return copies[0] if len(copies) == 1 else exp.Tuple(expressions=copies)

    return tree.transform(fix)


def tuples_to_structs(tree: exp.Expression, ctx: Context) -> exp.Expression:
    """Row values ``(a, b)`` outside IN lists → struct(a, b) on Spark (ordered field by field)."""
    if ctx.dialect != "spark":
        return tree

    def fix(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Tuple) and not isinstance(node.parent, exp.In | exp.Values):
            return _fn("struct", *node.expressions)
        return node

    return tree.transform(fix)


def arg_min_max(tree: exp.Expression, ctx: Context) -> exp.Expression:
    """arg_min/arg_max(x, key) skip rows where x or key is NULL in DuckDB. Spark's min_by keeps
    them, PostgreSQL has neither: PostgreSQL gets ``(array_agg(x ORDER BY key) FILTER (...))[1]``,
    Spark ``min_by(x, key) FILTER (...)``; a row-value key ``(a, b)`` orders by a, then b."""

    def fix(node: exp.Expression) -> exp.Expression:
        agg = node.this if isinstance(node, exp.Filter) else node
        if not isinstance(agg, exp.ArgMin | exp.ArgMax):
            return node
        value, key = agg.this, agg.expression
        desc = isinstance(agg, exp.ArgMax)
        keys = list(key.expressions) if isinstance(key, exp.Tuple) else [key]
        conds: list[exp.Expression] = []
        if not agg.meta.get(_KEEP_NULL_VALUES):
            conds.append(value.copy().is_(exp.Null()).not_())
        if not isinstance(key, exp.Tuple):
            conds.append(key.copy().is_(exp.Null()).not_())
        if isinstance(node, exp.Filter):
            conds.insert(0, exp.paren(node.expression.this.copy()))
        where = exp.Where(this=exp.and_(*conds)) if conds else None

        def filtered(agg_sql: exp.Expression) -> exp.Expression:
            return exp.Filter(this=agg_sql, expression=where) if where else agg_sql

        if ctx.dialect == "postgres":
            ordered = exp.Order(
                expressions=[exp.Ordered(this=k.copy(), desc=desc, nulls_first=desc) for k in keys]
            )
            agg_sql = exp.ArrayAgg(this=exp.Order(this=value.copy(), expressions=ordered.expressions))
            return exp.Bracket(this=exp.paren(filtered(agg_sql)),
                               expressions=[exp.Literal.number(1)], offset=1)
        name = "max_by" if desc else "min_by"
        spark_key = _fn("struct", *[k.copy() for k in keys]) if len(keys) > 1 else keys[0].copy()
        return filtered(_fn(name, value.copy(), spark_key))

    return tree.transform(fix)


def group_by_all(tree: exp.Expression, ctx: Context) -> exp.Expression:
    """GROUP BY ALL → GROUP BY the positions of the select items without an aggregate."""
    if ctx.dialect == "spark":
        return tree
    for select in tree.find_all(exp.Select):
        group = select.args.get("group")
        if not group or not group.args.get("all"):
            continue
        positions = [
            exp.Literal.number(i)
            for i, e in enumerate(select.expressions, start=1)
            if not _has_aggregate(e) and not isinstance(e.unalias(), exp.Literal)
        ]
        select.set("group", exp.Group(expressions=positions) if positions else None)
    return tree


def _has_aggregate(e: exp.Expression) -> bool:
    for node in e.walk():
        if isinstance(node, exp.AggFunc | exp.ArgMin | exp.ArgMax) and not node.find_ancestor(
            exp.Window, exp.Subquery
        ):
            return True
    return False


def qualify_filter(tree: exp.Expression, ctx: Context) -> exp.Expression:
    """QUALIFY w = 1 → the select wrapped with the window as a column, filtered outside, and
    the original columns selected by name (so the helper column does not leak)."""
    if ctx.dialect != "postgres":
        return tree
    for select in list(tree.find_all(exp.Select)):
        qualify = select.args.get("qualify")
        if qualify is None:
            continue
        names = [e.alias_or_name for e in select.expressions]
        if any(isinstance(e, exp.Star) or not n for e, n in zip(select.expressions, names, strict=True)):
            raise _Unportable(
                Unportable("QUALIFY after SELECT *", r"qualify", "list the columns before QUALIFY")
            )
        cond = qualify.this
        windows: list[exp.Expression] = []

        def pull(node: exp.Expression, windows: list[exp.Expression] = windows) -> exp.Expression:
            if isinstance(node, exp.Window):
                windows.append(node.copy())
                return exp.column(f"_q{len(windows)}")
            return node

        outer_cond = cond.copy().transform(pull)
        inner = select.copy()
        inner.set("qualify", None)
        for i, w in enumerate(windows, start=1):
            inner = inner.select(exp.alias_(w, f"_q{i}"), copy=False)
        outer = (
            exp.select(*[exp.column(n) for n in names])
            .from_(inner.subquery("_qualified"))
            .where(outer_cond)
        )
        if select is tree:
            tree = outer
        else:
            select.replace(outer)
    return tree


def series(tree: exp.Expression, ctx: Context) -> exp.Expression:
    """unnest(range(a, b)) / unnest(generate_series(a, b[, step])) in a select list → the engine's
    set-returning form: PostgreSQL generate_series(a, b - 1) (b itself for generate_series),
    Spark explode(sequence(...)); and generate_series(...) AS d(x) in FROM on Spark."""

    def fix(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Explode | exp.Unnest) and isinstance(
            node.this, exp.GenerateSeries
        ):
            gs = node.this
            start, end, step = gs.args["start"], gs.args["end"], gs.args.get("step")
            if gs.args.get("is_end_exclusive"):
                end = exp.Sub(this=exp.paren(end.copy()), expression=exp.Literal.number(1))
            args = [start.copy(), end.copy()] + ([step.copy()] if step else [])
            if ctx.dialect == "postgres":
                return _fn("generate_series", *args)
            return _fn("explode", _fn("sequence", *args))
        return node

    tree = tree.transform(fix)
    if ctx.dialect == "spark":
        # Spark refuses a generator inside an expression (CAST(explode(s) AS DATE)): apply the
        # expression to every element first, explode(transform(s, _v -> CAST(_v AS DATE))).
        for gen in list(tree.find_all(exp.Anonymous)):
            if str(gen.this).lower() != "explode" or not isinstance(gen.parent, exp.Expression):
                continue
            item: exp.Expression = gen
            while isinstance(item.parent, exp.Expression) and not isinstance(
                item.parent, exp.Select | exp.Alias
            ):
                item = item.parent
            if item is gen:
                continue
            array = gen.expressions[0].copy()
            gen.replace(exp.to_identifier("_v"))
            body = item.copy()
            lam = exp.Lambda(this=body, expressions=[exp.to_identifier("_v")])
            item.replace(_fn("explode", _fn("transform", array, lam)))
        # FROM/JOIN generate_series(a, b, step) AS d(x) → LATERAL (SELECT explode(sequence(a, b,
        # step)) AS x) AS d
        for table in list(tree.find_all(exp.Table)):
            gs = table.this
            if not isinstance(gs, exp.GenerateSeries):
                continue
            alias = table.args.get("alias")
            name = alias.name if alias is not None and alias.name else "_series"
            col = alias.columns[0].name if alias is not None and alias.columns else "generate_series"
            end = gs.args["end"].copy()
            if gs.args.get("is_end_exclusive"):  # range(a, b): b itself is not in it
                end = exp.Sub(this=exp.paren(end), expression=exp.Literal.number(1))
            args = [gs.args["start"].copy(), end]
            if gs.args.get("step"):
                args.append(gs.args["step"].copy())
            inner = exp.select(exp.alias_(_fn("explode", _fn("sequence", *args)), col))
            table.replace(exp.Lateral(this=inner.subquery(), alias=exp.TableAlias(
                this=exp.to_identifier(name))))
        for unnest in list(tree.find_all(exp.Unnest)):
            alias = unnest.args.get("alias")
            first = unnest.expressions[0] if unnest.expressions else None
            if isinstance(first, exp.GenerateSeries) and alias is not None:
                col = alias.columns[0].name if alias.columns else "value"
                args = [first.args["start"].copy(), first.args["end"].copy()]
                if first.args.get("step"):
                    args.append(first.args["step"].copy())
                lateral = _parse(
                    f"SELECT * FROM t, LATERAL (SELECT explode(x) AS {col}) AS {alias.name}",
                    "spark",
                ).find(exp.Lateral)
                assert lateral is not None
                lateral.find(exp.Anonymous).set("expressions", [_fn("sequence", *args)])  # type: ignore[union-attr]
                unnest.replace(lateral)
    return tree


def _date_part(name: str, arg: exp.Expression) -> exp.Expression:
    return exp.Extract(this=exp.var(name), expression=arg)


def date_parts(tree: exp.Expression, ctx: Context) -> exp.Expression:
    """isodow, dayname, monthname, hour, … as each engine spells them. Spark's dayofweek is
    1 = Sunday and its dayname is 'Mon': ISO numbers and full English names are computed."""

    def fix(node: exp.Expression) -> exp.Expression:
        arg = node.this.copy() if isinstance(node, exp.Func) and isinstance(node.this, exp.Expression) else None
        if arg is None:
            return node
        pg = ctx.dialect == "postgres"
        if isinstance(node, exp.DayOfWeekIso):
            if pg:
                return _date_part("ISODOW", arg)
            return _parse("((dayofweek(x) + 5) % 7) + 1", "spark").transform(
                lambda n: arg.copy() if isinstance(n, exp.Column) and n.name == "x" else n
            )
        if isinstance(node, exp.Dayname | exp.Monthname):
            day = isinstance(node, exp.Dayname)
            if pg:
                return _fn("to_char", arg, exp.Literal.string("FMDay" if day else "FMMonth"))
            return _fn("date_format", arg, exp.Literal.string("EEEE" if day else "MMMM"))
        if pg:
            parts: dict[type[exp.Expression], str] = {
                exp.Hour: "HOUR", exp.Minute: "MINUTE", exp.Second: "SECOND",
                exp.WeekOfYear: "WEEK", exp.DayOfYear: "DOY", exp.Quarter: "QUARTER",
                exp.Year: "YEAR", exp.Month: "MONTH", exp.Day: "DAY",
            }
            for kind, part in parts.items():
                if type(node) is kind:
                    return _date_part(part, arg)
        return node

    return tree.transform(fix)


_STRFTIME = {
    "%Y": ("YYYY", "yyyy"), "%m": ("MM", "MM"), "%d": ("DD", "dd"), "%H": ("HH24", "HH"),
    "%M": ("MI", "mm"), "%S": ("SS", "ss"), "%y": ("YY", "yy"), "%j": ("DDD", "DDD"),
    "%%": ("%", "%"),
}


def strftime_format(fmt: str, dialect: str) -> str:
    """A strftime format as to_char (PostgreSQL) or date_format (Spark) spells it, text between
    the codes quoted."""
    out: list[str] = []
    pg = dialect == "postgres"
    for token in re.findall(r"%.|[^%]+", fmt):
        if token in _STRFTIME:
            out.append(_STRFTIME[token][0 if pg else 1])
        elif token.startswith("%"):
            raise _Unportable(
                Unportable(f"strftime code {token}", re.escape(token),
                           "use %Y %m %d %H %M %S only")
            )
        elif pg:
            out.append('"' + token.replace('"', "") + '"')
        else:
            out.append("'" + token.replace("'", "''") + "'")
    return "".join(out)


def strftime(tree: exp.Expression, ctx: Context) -> exp.Expression:
    """strftime(t, '%Y%m%dT%H%M%S') → to_char / date_format with the literal text quoted."""

    def fix(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.TimeToStr) and isinstance(node.args.get("format"), exp.Literal):
            fmt = strftime_format(node.args["format"].this, ctx.dialect)
            name = "to_char" if ctx.dialect == "postgres" else "date_format"
            return _fn(name, node.this.copy(), exp.Literal.string(fmt))
        return node

    return tree.transform(fix)


def intervals(tree: exp.Expression, ctx: Context) -> exp.Expression:
    """to_minutes(n) / to_seconds / to_hours / to_days → an interval each engine compares with
    timestamp differences (Spark: a day-time interval)."""
    units = {"to_days": 0, "to_hours": 1, "to_minutes": 2, "to_seconds": 3}

    def fix(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Anonymous) and str(node.this).lower() in units:
            n = node.expressions[0].copy()
            at = units[str(node.this).lower()]
            if ctx.dialect == "postgres":
                names = ["days", "hours", "mins", "secs"]
                made: exp.Expression = _parse(
                    f"make_interval({names[at]} => 0)", "postgres"
                ).transform(lambda x: n if isinstance(x, exp.Literal) and x.this == "0" else x)
                return made
            args: list[exp.Expression] = [exp.Literal.number(0) for _ in range(4)]
            args[at] = n
            return _fn("make_dt_interval", *args)
        return node

    return tree.transform(fix)


def epoch_seconds(tree: exp.Expression, ctx: Context) -> exp.Expression:
    """epoch(a - b) (an interval's seconds, DOUBLE) → PostgreSQL extract(epoch …)::float8;
    Spark (unix_micros(a) - unix_micros(b)) / 1e6 as DOUBLE. now() as a naive UTC timestamp."""

    def fix(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.TimeToUnix):
            inner = node.this
            if ctx.dialect == "postgres":
                return exp.cast(_date_part("EPOCH", inner.copy()), "DOUBLE")
            if isinstance(inner, exp.Sub):
                micros: exp.Expression = exp.Sub(
                    this=_fn("unix_micros", inner.this.copy()),
                    expression=_fn("unix_micros", inner.expression.copy()),
                )
            else:
                micros = _fn("unix_micros", inner.copy())
            return exp.Div(
                this=exp.cast(exp.paren(micros), "DOUBLE"),
                expression=exp.Literal.number(1000000),
            )
        # make_timestamp(epoch_us(now())): the current instant as a naive UTC timestamp
        if isinstance(node, exp.UnixToTime) and isinstance(node.this, exp.Anonymous) and (
            str(node.this.this).lower() == "epoch_us"
        ):
            if ctx.dialect == "postgres":
                return _parse("(now() AT TIME ZONE 'UTC')", "postgres")
            return _parse("CAST(current_timestamp() AS TIMESTAMP_NTZ)", "spark")
        return node

    return tree.transform(fix)


def epoch_micros(tree: exp.Expression, ctx: Context) -> exp.Expression:
    """epoch_us(t): microseconds since 1970-01-01 of a naive (UTC) timestamp, a BIGINT →
    PostgreSQL ``CAST(EXTRACT(EPOCH FROM t) * 1000000 AS BIGINT)`` (numeric, so exact);
    Spark ``unix_micros(t)`` (the session time zone is UTC)."""

    def fix(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Anonymous) and str(node.this).lower() == "epoch_us":
            arg = node.expressions[0].copy()
            if ctx.dialect == "postgres":
                micros = exp.Mul(this=_date_part("EPOCH", arg), expression=exp.Literal.number(1000000))
                return exp.cast(micros, "BIGINT")
            return _fn("unix_micros", arg)
        return node

    return tree.transform(fix)


def timestamps_from_micros(tree: exp.Expression, ctx: Context) -> exp.Expression:
    """make_timestamp(us): the naive timestamp ``us`` microseconds after 1970-01-01 →
    PostgreSQL ``TIMESTAMP '1970-01-01' + us * INTERVAL '1 microsecond'`` (exact: to_timestamp
    goes through a double of seconds); Spark ``timestamp_micros(us)``."""

    def fix(node: exp.Expression) -> exp.Expression:
        if not isinstance(node, exp.UnixToTime):
            return node
        scale = node.args.get("scale")
        if not (isinstance(scale, exp.Literal) and scale.this == "6"):
            return node
        us = node.this.copy()
        if ctx.dialect == "postgres":
            return exp.paren(
                _parse("CAST('1970-01-01' AS TIMESTAMP) + (0) * INTERVAL '1 microsecond'",
                       "postgres").transform(
                    lambda n: us if isinstance(n, exp.Literal) and n.this == "0" else n
                )
            )
        return _fn("timestamp_micros", us)

    return tree.transform(fix)


def time_zones(tree: exp.Expression, ctx: Context) -> exp.Expression:
    """timezone(zone, t AT TIME ZONE 'UTC'): the wall-clock time in ``zone`` of the naive UTC
    timestamp t, naive again → PostgreSQL ``(t AT TIME ZONE 'UTC') AT TIME ZONE zone``;
    Spark ``from_utc_timestamp(t, zone)``. Other shapes of timezone() are refused."""

    def fix(node: exp.Expression) -> exp.Expression:
        if not (isinstance(node, exp.Anonymous) and str(node.this).lower() == "timezone"):
            return node
        args = node.expressions
        utc = args[1] if len(args) == 2 else None
        if not (
            isinstance(utc, exp.AtTimeZone)
            and isinstance(utc.args.get("zone"), exp.Literal)
            and utc.args["zone"].this.upper() == "UTC"
        ):
            raise _Unportable(
                Unportable(
                    "timezone(zone, t) of other than t AT TIME ZONE 'UTC'",
                    r"\btimezone\s*\(",
                    "timezone(zone, t AT TIME ZONE 'UTC') with t a naive UTC timestamp",
                )
            )
        zone, ts = args[0].copy(), utc.this.copy()
        if ctx.dialect == "postgres":
            at_utc = exp.AtTimeZone(this=ts, zone=exp.Literal.string("UTC"))
            return exp.paren(exp.AtTimeZone(this=exp.paren(at_utc), zone=zone))
        return _fn("from_utc_timestamp", ts, zone)

    return tree.transform(fix)


def integer_division(tree: exp.Expression, ctx: Context) -> exp.Expression:
    """a // b of integers → PostgreSQL ``CAST(DIV(a, b) AS BIGINT)`` (div() is numeric, and a
    numeric cannot index an array); Spark's ``a DIV b`` is a BIGINT already."""
    if ctx.dialect != "postgres":
        return tree
    for node in list(tree.find_all(exp.IntDiv)):
        if isinstance(node.parent, exp.Cast):
            continue
        node.replace(exp.cast(node.copy(), "BIGINT"))
    return tree


def ordered_lists(tree: exp.Expression, ctx: Context) -> exp.Expression:
    """list(x ORDER BY k) keeps NULL elements in k's order. PostgreSQL's array_agg(x ORDER BY k)
    does too; Spark's collect_list has no order and drops NULLs: it collects non-null structs
    (k, x), sorts them and keeps x, ``transform(array_sort(collect_list(named_struct(...))),
    _s -> _s._v)``. Ascending keys only on Spark."""
    if ctx.dialect != "spark":
        return tree
    for agg in list(tree.find_all(exp.ArrayAgg)):
        order = agg.this
        if not isinstance(order, exp.Order):
            continue
        keys = order.expressions
        if any(k.args.get("desc") for k in keys):
            raise _Unportable(
                Unportable("list(x ORDER BY k DESC)", r"\blist\s*\(",
                           "order the list ascending (list_reverse is not carried over)")
            )
        fields: list[exp.Expression] = []
        for i, k in enumerate(keys):
            fields += [exp.Literal.string(f"_k{i}"), k.this.copy()]
        fields += [exp.Literal.string("_v"), order.this.copy()]
        collected: exp.Expression = _fn("collect_list", _fn("named_struct", *fields))
        target: exp.Expression = agg
        if isinstance(agg.parent, exp.Filter):
            target = agg.parent
            collected = exp.Filter(this=collected, expression=agg.parent.expression.copy())
        lam = exp.Lambda(
            this=exp.Dot(this=exp.to_identifier("_s"), expression=exp.to_identifier("_v")),
            expressions=[exp.to_identifier("_s")],
        )
        target.replace(_fn("transform", _fn("array_sort", collected), lam))
    return tree


def list_indexes(tree: exp.Expression, ctx: Context) -> exp.Expression:
    """l[i] is 1-based in DuckDB (and PostgreSQL), NULL out of range. Spark's [] is 0-based and
    fails out of range in ANSI mode: ``try_element_at(l, CAST(i AS INT))`` (1-based, NULL
    out of range; the index must be an INT).
    A text key (a map or struct field) is left alone."""
    if ctx.dialect != "spark":
        return tree
    for node in list(tree.find_all(exp.Bracket)):
        idx = node.expressions
        if len(idx) != 1 or (isinstance(idx[0], exp.Literal) and idx[0].is_string):
            continue
        index = idx[0].copy()
        # sqlglot keeps a constant index 0-based (l[1] is read as Literal 0): DuckDB's number.
        literal = index.this if isinstance(index, exp.Neg) else index
        if isinstance(literal, exp.Literal) and literal.is_int:
            index = exp.Literal.number(int(index.sql()) + 1)
        node.replace(_fn("try_element_at", node.this.copy(), exp.cast(index, "INT")))
    return tree


def list_filters(tree: exp.Expression, ctx: Context) -> exp.Expression:
    """list_min/list_max(list_filter(l, lambda v: cond)) → on PostgreSQL, a scalar subquery over
    unnest(l) (no lambdas there); Spark's array_min(filter(...)) is what sqlglot writes."""
    if ctx.dialect != "postgres":
        return tree

    def fix(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.ArrayMin | exp.ArrayMax) and isinstance(node.this, exp.ArrayFilter):
            flt = node.this
            lam = flt.expression
            var = lam.expressions[0].name
            cond = lam.this.copy().transform(
                lambda n: exp.column(var, "_l") if isinstance(n, exp.Identifier | exp.Column)
                and n.name == var and not (isinstance(n, exp.Column) and n.table) and
                not isinstance(n.parent, exp.Column) else n
            )
            agg = "min" if isinstance(node, exp.ArrayMin) else "max"
            sub = _parse(f"SELECT {agg}(_l.{var}) FROM unnest(x) AS _l({var}) WHERE TRUE",
                         "postgres")
            assert isinstance(sub, exp.Select)
            sub.find(exp.Unnest).set("expressions", [flt.this.copy()])  # type: ignore[union-attr]
            sub.set("where", exp.Where(this=cond))
            return sub.subquery()
        return node

    return tree.transform(fix)


def percentiles(tree: exp.Expression, ctx: Context) -> exp.Expression:
    """median(x) / quantile_cont(x, q) → the exact percentile_cont on every engine (sqlglot
    writes Spark's approximation otherwise)."""

    def fix(node: exp.Expression) -> exp.Expression:
        q: exp.Expression | None = None
        if isinstance(node, exp.Median):
            x, q = node.this, exp.Literal.number(0.5)
        elif isinstance(node, exp.PercentileCont) and not isinstance(node.parent, exp.WithinGroup):
            x, q = node.this, node.expression
        elif isinstance(node, exp.WithinGroup) and isinstance(node.this, exp.PercentileCont):
            if ctx.dialect == "spark":
                order = node.expression.expressions[0].this
                return _fn("percentile", order.copy(), node.this.this.copy())
            return node
        else:
            return node
        if ctx.dialect == "spark":
            return _fn("percentile", x.copy(), q.copy())
        return _parse("percentile_cont(0.5) WITHIN GROUP (ORDER BY x)", "postgres").transform(
            lambda n: q.copy() if isinstance(n, exp.Literal) else (
                x.copy() if isinstance(n, exp.Column) and n.name == "x" else n)
        )

    return tree.transform(fix)


def date_diff_units(tree: exp.Expression, ctx: Context) -> exp.Expression:
    """date_diff('day', a, b) → PostgreSQL (b::date - a::date); Spark datediff(b, a). Only day
    (date boundaries) is carried over; other units are refused."""

    def fix(node: exp.Expression) -> exp.Expression:
        if not isinstance(node, exp.DateDiff):
            return node
        unit = str(node.args.get("unit") or "DAY").upper().strip("'")
        if unit != "DAY":
            raise _Unportable(
                Unportable(f"date_diff with unit {unit.lower()}", r"date_diff\s*\(",
                           "use date_diff('day', a, b), or compare timestamps directly")
            )
        end, start = node.this.copy(), node.expression.copy()
        if ctx.dialect == "postgres":
            return exp.paren(exp.Sub(this=exp.cast(end, "DATE"), expression=exp.cast(start, "DATE")))
        return exp.cast(_fn("datediff", exp.cast(end, "DATE"), exp.cast(start, "DATE")), "BIGINT")

    return tree.transform(fix)


def varchar_to_string(tree: exp.Expression, ctx: Context) -> exp.Expression:
    """CAST(x AS VARCHAR) → STRING on Spark (VARCHAR needs a length there); text on PostgreSQL."""
    for dt in tree.find_all(exp.DataType):
        if dt.this in (exp.DataType.Type.VARCHAR, exp.DataType.Type.TEXT) and not dt.expressions:
            dt.set("this", exp.DataType.Type.TEXT)
    return tree


def logarithms(tree: exp.Expression, ctx: Context) -> exp.Expression:
    """log2(x) / log(b, x) on PostgreSQL: its two-argument log is numeric only, and exact, so
    floor(log2(2^k)) is k as in DuckDB; the result is a double again."""
    if ctx.dialect != "postgres":
        return tree

    def fix(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Log) and node.expression is not None:
            base = exp.cast(node.this.copy(), "DECIMAL")
            x = exp.cast(node.expression.copy(), "DECIMAL")
            return exp.cast(exp.Log(this=base, expression=x), "DOUBLE")
        return node

    return tree.transform(fix)


def alias_subqueries(tree: exp.Expression, ctx: Context) -> exp.Expression:
    """A subquery in FROM or JOIN without an alias gets one (PostgreSQL before 16 needs it)."""
    n = 0
    for sub in list(tree.find_all(exp.Subquery)):
        if not sub.alias and isinstance(sub.parent, exp.From | exp.Join):
            n += 1
            sub.set("alias", exp.TableAlias(this=exp.to_identifier(f"_sub{n}")))
    return tree


#: Every rule, in the order they run.
RULES: list[Rule] = [
    struct_arg_fields,
    refuse_unportable,
    sort_keys,
    inline_variables,
    expand_star_exclude,
    asof_join,
    rename_relations,
    drop_not_materialized,
    qualify_filter,
    group_by_all,
    arg_min_max,
    tuples_to_structs,
    series,
    date_parts,
    strftime,
    intervals,
    epoch_seconds,
    epoch_micros,
    timestamps_from_micros,
    time_zones,
    integer_division,
    ordered_lists,
    list_indexes,
    list_filters,
    percentiles,
    date_diff_units,
    varchar_to_string,
    alias_subqueries,
    logarithms,
]


def transpile(sql: str, ctx: Context, where: Path | str = "query", raw: str | None = None) -> str:
    """DuckDB SQL → the engine's, every rule applied. ``raw`` is the file's own text (for the
    line of an unportable construct)."""
    if ctx.dialect not in DIALECTS:
        raise ValueError(f"unknown dialect {ctx.dialect}")
    try:
        tree = _parse(sql, "duckdb")
    except sqlglot.errors.ParseError as e:
        raise unreadable_error(e, where, raw or sql, sql, ctx.dialect) from None
    try:
        for rule in RULES:
            tree = rule(tree, ctx)
    except _Unportable as e:
        raise unportable_error(e.what, where, raw or sql, ctx.dialect) from None
    return tree.sql(dialect=ctx.dialect)


def unreadable_error(
    e: sqlglot.errors.ParseError, where: Path | str, text: str, sql: str, dialect: str
) -> TranspileError:
    """DuckDB runs it, but the translator cannot read it: where, and what to write instead."""
    info = e.errors[0] if e.errors else {}
    line = info.get("line")
    if text != sql:  # the file's own line: the one holding the text around the error
        around = (str(info.get("start_context", "")).splitlines() or [""])[-1].strip()
        line = next(
            (i for i, ln in enumerate(text.splitlines(), start=1) if around and around in ln),
            None,
        )
    name = where.name if isinstance(where, Path) else where
    at = f", line {line}" if line else ""
    engine = {"postgres": "PostgreSQL", "spark": "Spark"}[dialect]
    what = str(info.get("description", "")).split(" for <")[0] or str(e).splitlines()[0]
    return TranspileError(
        f"{name}{at}: this DuckDB SQL cannot be translated for {engine} ({what}).",
        "Write it with plain SQL instead of DuckDB-only syntax (lambdas, FROM-first queries, "
        "COLUMNS(), …): docs/portable_sql.md lists what runs everywhere.",
    )


def unportable_error(what: Unportable, where: Path | str, text: str, dialect: str) -> TranspileError:
    line = next(
        (i for i, ln in enumerate(text.splitlines(), start=1)
         if re.search(what.pattern, ln.split("--")[0], re.IGNORECASE)),
        None,
    )
    name = where.name if isinstance(where, Path) else where
    at = f", line {line}" if line else ""
    engine = {"postgres": "PostgreSQL", "spark": "Spark"}[dialect]
    return TranspileError(
        f"{name}{at}: {what.construct} cannot run on {engine}.",
        f"Write instead: {what.instead} (docs/portable_sql.md).",
    )
