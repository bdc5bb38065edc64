/// The .strat abstract syntax tree: sugar, optional clauses and a range on every node
module StrategyLab.Strategy.Dsl.Syntax

open System.Globalization

/// A name written in the source, with where it was written
type Ident = { Name: string; Range: Range }

/// Units of a duration literal: 30s, 5m, 4h, 1d, 2w
[<RequireQualifiedAccess>]
type TimeUnit =
    | Second
    | Minute
    | Hour
    | Day
    | Week

/// The unit written after a number literal
[<RequireQualifiedAccess>]
type NumUnit =
    | Plain
    | Percent
    | Bps
    | Time of TimeUnit

/// Infix operators, loosest first: or, and, comparisons, additive, multiplicative, power
[<RequireQualifiedAccess>]
type BinaryOp =
    | Or
    | And
    | Lt
    | Le
    | Gt
    | Ge
    | Eq
    | Ne
    | Add
    | Sub
    | Mul
    | Div
    | Pow

/// Prefix operators: -x and not x
[<RequireQualifiedAccess>]
type UnaryOp =
    | Neg
    | Not

/// An expression over constants, parameters and per-asset series
[<RequireQualifiedAccess; NoEquality; NoComparison>]
type Expr =
    /// 5, 0.1, 10%, 5 bps, 4h; real is true when written with a fraction or exponent (1.0 is a real, 1 a whole number)
    | Number of value: float * unit: NumUnit * real: bool * range: Range
    /// "text"
    | Text of value: string * range: Range
    /// true, false
    | Bool of value: bool * range: Range
    /// close, k, score
    | Name of ident: Ident
    /// rsi(close, period: 14)
    | Call of fn: Ident * args: Arg list * range: Range
    | Unary of op: UnaryOp * operand: Expr * range: Range
    | Binary of op: BinaryOp * lhs: Expr * rhs: Expr * range: Range
    /// close[1]: the value n bars earlier
    | Lag of series: Expr * lag: Expr * range: Range
    /// if c then a else b
    | If of cond: Expr * thenExpr: Expr * elseExpr: Expr * range: Range
    /// [1..20, 40..240 by 20], [a, b when flag]
    | List of items: ListItem list * range: Range
    /// [body for v in source]
    | For of body: Expr * var: Ident * source: Expr * range: Range
    /// inserted by error recovery
    | Error of range: Range

    member e.Range =
        match e with
        | Number(range = r)
        | Text(range = r)
        | Bool(range = r)
        | Call(range = r)
        | Unary(range = r)
        | Binary(range = r)
        | Lag(range = r)
        | If(range = r)
        | List(range = r)
        | For(range = r)
        | Error(range = r) -> r
        | Name id -> id.Range

/// A call argument, positional or named (name: value)
and [<NoEquality; NoComparison>] Arg = { Name: Ident option; Value: Expr }

/// An element of a list literal
and [<RequireQualifiedAccess; NoEquality; NoComparison>] ListItem =
    | Item of value: Expr
    /// lo..hi or lo..hi by step: every value from lo to hi inclusive
    | Span of lo: Expr * hi: Expr * step: Expr option * range: Range
    /// value when flag: present only when the flag is true (model inputs)
    | Guarded of value: Expr * cond: Expr
    /// key: value, a row of a table (the minimal-ROI table: [0: 4%, 30m: 2%])
    | Pair of key: Expr * value: Expr * range: Range

/// The search space of a parameter
[<RequireQualifiedAccess; NoEquality; NoComparison>]
type Domain =
    /// lo..hi [by step] [log]
    | Span of lo: Expr * hi: Expr * step: Expr option * log: bool
    /// [a, b, c]
    | Choices of values: Expr list

/// when kind = "ema", when kind in ["ema", "wma"]: a parameter a search varies only while an earlier parameter
/// with choices has one of the values
[<NoEquality; NoComparison>]
type Condition =
    {
        Parameter: Ident
        Values: Expr list
        Range: Range
    }

/// Which assets the strategy may hold
[<RequireQualifiedAccess; NoEquality; NoComparison>]
type Universe =
    | All
    /// top 100 by market_cap [every 30d]
    | Top of count: Expr * by: Ident * every: Expr option
    /// ["BTC-USD", "ETH-USD"]
    | Symbols of symbols: Expr

/// Long or short
[<RequireQualifiedAccess>]
type Side =
    | Long
    | Short

/// One item of a portfolio statement
[<RequireQualifiedAccess; NoEquality; NoComparison>]
type PortfolioItem =
    /// long top k by score, short bottom k by score
    | Rank of side: Side * top: bool * count: Expr * by: Expr * range: Range
    /// long quantile 10 of 10 by score
    | Quantile of side: Side * bucket: Expr * bins: Expr * by: Expr * range: Range
    /// long when entry [exit when exit]
    | Threshold of side: Side * entry: Expr * exit: Expr option * range: Range
    /// equal weight, proportional weight
    | Weight of scheme: Ident * range: Range
    /// scope timestamp, scope date
    | Scope of scope: Ident * range: Range
    /// gross 1, net 0, leverage 1
    | Exposure of kind: Ident * value: Expr * range: Range

/// A setting of costs, risk or execution: key [(args)] [value] [of nav] [-> action and action]
[<NoEquality; NoComparison>]
type Clause =
    {
        Key: Ident
        Args: Arg list option
        Value: Expr option
        OfNav: bool
        Actions: Ident list
        Range: Range
    }

/// A top-level statement
[<RequireQualifiedAccess; NoEquality; NoComparison>]
type Decl =
    | Strategy of name: Ident * description: string option * range: Range
    | Data of dataset: Ident * range: Range
    | Bar of interval: Expr * range: Range
    | Universe of universe: Universe * range: Range
    | Param of name: Ident * value: Expr * domain: Domain option * condition: Condition option * range: Range
    | Def of name: Ident * parameters: Ident list * body: Expr * range: Range
    | Let of name: Ident * value: Expr * range: Range
    | Signal of name: Ident * value: Expr * range: Range
    | Label of name: Ident * value: Expr * range: Range
    | Model of name: Ident * spec: Expr * learn: Ident option * train: Expr option * range: Range
    | Portfolio of items: PortfolioItem list * range: Range
    /// rebalance every bar|duration [, keep while rank within expr]
    | Rebalance of every: Expr option * keep: Expr option * range: Range
    | Costs of clauses: Clause list * range: Range
    | Risk of clauses: Clause list * range: Range
    | Execution of clauses: Clause list * range: Range
    /// exits stop_loss 5%, take_profit 10%, trailing_stop 3%, max_hold 48h, roi [0: 4%, 30m: 2%], cooldown 4h
    | Exits of clauses: Clause list * range: Range
    | Include of path: string * range: Range
    /// a statement the parser could not read, with the name it seems to declare (so uses of it are not reported
    /// again as unknown)
    | Error of declares: string option * range: Range

    member d.Range =
        match d with
        | Strategy(range = r)
        | Data(range = r)
        | Bar(range = r)
        | Universe(range = r)
        | Param(range = r)
        | Def(range = r)
        | Let(range = r)
        | Signal(range = r)
        | Label(range = r)
        | Model(range = r)
        | Portfolio(range = r)
        | Rebalance(range = r)
        | Costs(range = r)
        | Risk(range = r)
        | Execution(range = r)
        | Exits(range = r)
        | Include(range = r)
        | Error(range = r) -> r

/// A statement with the comments around it, kept for the formatter
[<NoEquality; NoComparison>]
type Statement =
    {
        Decl: Decl
        /// full-line comments directly above the statement, without the leading '#'
        Leading: string list
        /// comments inside or after the statement's lines
        Trailing: string list
        /// true when a blank line separates the statement from the one before
        BlankBefore: bool
    }

/// A parsed .strat file
[<NoEquality; NoComparison>]
type Program =
    {
        File: string
        Statements: Statement list
        /// comments after the last statement
        TrailingComments: string list
    }

/// Keywords that cannot be used as names
let reserved =
    set
        [
            "and"
            "or"
            "not"
            "if"
            "then"
            "else"
            "for"
            "in"
            "by"
            "when"
            "exit"
            "of"
            "true"
            "false"
        ]

/// Returns a number as the shortest text that reads back as the same value
let formatNumber (v: float) =
    if System.Double.IsInteger v && abs v < 1e15 then
        (int64 v).ToString(CultureInfo.InvariantCulture)
    else
        v.ToString("R", CultureInfo.InvariantCulture)

/// Returns a number literal's text that reads back as the same literal: whole numbers written as reals keep a
/// ".0", and whole numbers written without one keep all their digits (an exponent would make them reals)
let formatLiteral (v: float) (real: bool) =
    if not real && System.Double.IsInteger v && abs v >= 1e15 then
        System.Numerics.BigInteger(v).ToString(CultureInfo.InvariantCulture)
    else
        let s = formatNumber v

        if real && not (s.Contains '.' || s.Contains 'E') then
            s + ".0"
        else
            s

/// Returns the text of a unit suffix as the formatter writes it
let unitSuffix u =
    match u with
    | NumUnit.Plain -> ""
    | NumUnit.Percent -> "%"
    | NumUnit.Bps -> " bps"
    | NumUnit.Time TimeUnit.Second -> "s"
    | NumUnit.Time TimeUnit.Minute -> "m"
    | NumUnit.Time TimeUnit.Hour -> "h"
    | NumUnit.Time TimeUnit.Day -> "d"
    | NumUnit.Time TimeUnit.Week -> "w"

/// Range-blind printing of trees as s-expressions, for tests and debugging
module Dump =
    let private opName op =
        match op with
        | BinaryOp.Or -> "or"
        | BinaryOp.And -> "and"
        | BinaryOp.Lt -> "<"
        | BinaryOp.Le -> "<="
        | BinaryOp.Gt -> ">"
        | BinaryOp.Ge -> ">="
        | BinaryOp.Eq -> "=="
        | BinaryOp.Ne -> "!="
        | BinaryOp.Add -> "+"
        | BinaryOp.Sub -> "-"
        | BinaryOp.Mul -> "*"
        | BinaryOp.Div -> "/"
        | BinaryOp.Pow -> "^"

    let private opt f o =
        match o with
        | Some x -> f x
        | None -> "_"

    let private side s =
        match s with
        | Side.Long -> "long"
        | Side.Short -> "short"

    /// Returns an expression as an s-expression without ranges
    let rec expr (e: Expr) : string =
        match e with
        | Expr.Number(v, u, real, _) -> formatLiteral v real + (unitSuffix u).Trim()
        | Expr.Text(s, _) -> "\"" + s + "\""
        | Expr.Bool(b, _) -> (if b then "true" else "false")
        | Expr.Name id -> id.Name
        | Expr.Call(f, args, _) ->
            "(call "
            + f.Name
            + System.String.Join("", args |> List.map (fun a -> " " + arg a))
            + ")"
        | Expr.Unary(UnaryOp.Neg, x, _) -> "(neg " + expr x + ")"
        | Expr.Unary(UnaryOp.Not, x, _) -> "(not " + expr x + ")"
        | Expr.Binary(op, a, b, _) -> "(" + opName op + " " + expr a + " " + expr b + ")"
        | Expr.Lag(x, n, _) -> "(lag " + expr x + " " + expr n + ")"
        | Expr.If(c, a, b, _) -> "(if " + expr c + " " + expr a + " " + expr b + ")"
        | Expr.List(items, _) -> "[" + System.String.Join(" ", items |> List.map item) + "]"
        | Expr.For(body, v, src, _) -> "(for " + expr body + " " + v.Name + " " + expr src + ")"
        | Expr.Error _ -> "(error)"

    and private arg (a: Arg) =
        match a.Name with
        | Some n -> n.Name + ":" + expr a.Value
        | None -> expr a.Value

    and private item (i: ListItem) =
        match i with
        | ListItem.Item e -> expr e
        | ListItem.Span(lo, hi, step, _) -> "(span " + expr lo + " " + expr hi + " " + opt expr step + ")"
        | ListItem.Guarded(e, c) -> "(when " + expr e + " " + expr c + ")"
        | ListItem.Pair(k, v, _) -> "(pair " + expr k + " " + expr v + ")"

    let private clause (c: Clause) =
        "("
        + c.Key.Name
        + " "
        + opt (fun args -> "(" + System.String.Join(" ", args |> List.map arg) + ")") c.Args
        + " "
        + opt expr c.Value
        + (if c.OfNav then " of-nav" else "")
        + System.String.Join("", c.Actions |> List.map (fun a -> " ->" + a.Name))
        + ")"

    let private portfolioItem (p: PortfolioItem) =
        match p with
        | PortfolioItem.Rank(s, top, n, by, _) ->
            $"""(rank %s{side s} %s{(if top then "top" else "bottom")} %s{expr n} %s{expr by})"""
        | PortfolioItem.Quantile(s, q, bins, by, _) -> $"(quantile %s{side s} %s{expr q} %s{expr bins} %s{expr by})"
        | PortfolioItem.Threshold(s, entry, exit, _) -> $"(threshold %s{side s} %s{expr entry} %s{opt expr exit})"
        | PortfolioItem.Weight(w, _) -> $"(weight %s{w.Name})"
        | PortfolioItem.Scope(w, _) -> $"(scope %s{w.Name})"
        | PortfolioItem.Exposure(k, v, _) -> $"(%s{k.Name} %s{expr v})"

    /// Returns a declaration as an s-expression without ranges
    let decl (d: Decl) =
        let clauses cs =
            System.String.Join(" ", cs |> List.map clause)

        match d with
        | Decl.Strategy(n, desc, _) -> $"""(strategy %s{n.Name} %s{opt (sprintf "\"%s\"") desc})"""
        | Decl.Data(n, _) -> $"(data %s{n.Name})"
        | Decl.Bar(e, _) -> $"(bar %s{expr e})"
        | Decl.Universe(Universe.All, _) -> "(universe all)"
        | Decl.Universe(Universe.Top(n, by, every), _) -> $"(universe top %s{expr n} %s{by.Name} %s{opt expr every})"
        | Decl.Universe(Universe.Symbols e, _) -> $"(universe %s{expr e})"
        | Decl.Param(n, v, dom, cond, _) ->
            let domain =
                match dom with
                | None -> "_"
                | Some(Domain.Span(lo, hi, step, log)) ->
                    $"""(span %s{expr lo} %s{expr hi} %s{opt expr step}%s{(if log then " log" else "")})"""
                | Some(Domain.Choices vs) -> "[" + System.String.Join(" ", vs |> List.map expr) + "]"

            let condition =
                cond
                |> Option.map (fun c ->
                    " (when "
                    + c.Parameter.Name
                    + " ["
                    + System.String.Join(" ", c.Values |> List.map expr)
                    + "])")
                |> Option.defaultValue ""

            $"(param %s{n.Name} %s{expr v} %s{domain}%s{condition})"
        | Decl.Def(n, ps, body, _) ->
            let names = System.String.Join(" ", ps |> List.map (fun p -> p.Name))
            $"(def %s{n.Name} (%s{names}) %s{expr body})"
        | Decl.Let(n, v, _) -> $"(let %s{n.Name} %s{expr v})"
        | Decl.Signal(n, v, _) -> $"(signal %s{n.Name} %s{expr v})"
        | Decl.Label(n, v, _) -> $"(label %s{n.Name} %s{expr v})"
        | Decl.Model(n, spec, learn, train, _) ->
            $"(model %s{n.Name} %s{expr spec} %s{opt (fun (i: Ident) -> i.Name) learn} %s{opt expr train})"
        | Decl.Portfolio(items, _) -> "(portfolio " + System.String.Join(" ", items |> List.map portfolioItem) + ")"
        | Decl.Rebalance(every, keep, _) -> $"(rebalance %s{opt expr every} %s{opt expr keep})"
        | Decl.Costs(cs, _) -> $"(costs %s{clauses cs})"
        | Decl.Risk(cs, _) -> $"(risk %s{clauses cs})"
        | Decl.Execution(cs, _) -> $"(execution %s{clauses cs})"
        | Decl.Exits(cs, _) -> $"(exits %s{clauses cs})"
        | Decl.Include(p, _) -> $"(include \"%s{p}\")"
        | Decl.Error _ -> "(error)"

    /// Returns a program's declarations, one s-expression a line, without ranges or comments
    let program (p: Program) =
        System.String.Join("\n", p.Statements |> List.map (fun s -> decl s.Decl))

/// Canonical source text of expressions, with the fewest parentheses that keep the tree
module Print =
    let private binaryText op =
        match op with
        | BinaryOp.Or -> "or", 1
        | BinaryOp.And -> "and", 2
        | BinaryOp.Lt -> "<", 4
        | BinaryOp.Le -> "<=", 4
        | BinaryOp.Gt -> ">", 4
        | BinaryOp.Ge -> ">=", 4
        | BinaryOp.Eq -> "==", 4
        | BinaryOp.Ne -> "!=", 4
        | BinaryOp.Add -> "+", 5
        | BinaryOp.Sub -> "-", 5
        | BinaryOp.Mul -> "*", 6
        | BinaryOp.Div -> "/", 6
        | BinaryOp.Pow -> "^", 8

    let private paren cond (s: string) = if cond then "(" + s + ")" else s

    let rec private exprAt (prec: int) (e: Expr) : string =
        match e with
        | Expr.Number(v, u, real, _) -> formatLiteral v real + unitSuffix u
        | Expr.Text(s, _) -> "\"" + s + "\""
        | Expr.Bool(b, _) -> (if b then "true" else "false")
        | Expr.Name id -> id.Name
        | Expr.Call(f, args, _) -> f.Name + "(" + System.String.Join(", ", args |> List.map arg) + ")"
        | Expr.Unary(UnaryOp.Neg, x, _) -> paren (prec > 7) ("-" + exprAt 8 x)
        | Expr.Unary(UnaryOp.Not, x, _) -> paren (prec > 3) ("not " + exprAt 4 x)
        | Expr.Binary(op, a, b, _) ->
            let text, p = binaryText op

            let lp, rp =
                match op with
                | BinaryOp.Pow -> p + 1, p
                | BinaryOp.Lt
                | BinaryOp.Le
                | BinaryOp.Gt
                | BinaryOp.Ge
                | BinaryOp.Eq
                | BinaryOp.Ne -> p + 1, p + 1
                | _ -> p, p + 1

            paren (prec > p) (exprAt lp a + " " + text + " " + exprAt rp b)
        | Expr.Lag(x, n, _) -> exprAt 10 x + "[" + exprAt 0 n + "]"
        | Expr.If(c, a, b, _) -> paren (prec > 0) ("if " + exprAt 0 c + " then " + exprAt 0 a + " else " + exprAt 0 b)
        | Expr.List(items, _) -> "[" + System.String.Join(", ", items |> List.map item) + "]"
        | Expr.For(body, v, src, _) -> "[" + exprAt 0 body + " for " + v.Name + " in " + exprAt 0 src + "]"
        | Expr.Error _ -> "<error>"

    and private arg (a: Arg) =
        match a.Name with
        | Some n -> n.Name + ": " + exprAt 0 a.Value
        | None -> exprAt 0 a.Value

    and private item (i: ListItem) =
        match i with
        | ListItem.Item e -> exprAt 0 e
        | ListItem.Span(lo, hi, step, _) ->
            exprAt 0 lo
            + ".."
            + exprAt 0 hi
            + (step |> Option.map (fun s -> " by " + exprAt 0 s) |> Option.defaultValue "")
        | ListItem.Guarded(e, c) -> exprAt 0 e + " when " + exprAt 0 c
        | ListItem.Pair(k, v, _) -> exprAt 0 k + ": " + exprAt 0 v

    /// Returns the canonical text of an expression, e.g. "xs_rank(forward_return(close, 1)) > 0.5"
    let expr (e: Expr) = exprAt 0 e

    /// Returns the canonical text of call arguments, e.g. "close, period: 14"
    let args (args: Arg list) =
        System.String.Join(", ", args |> List.map arg)

/// Returns the direct sub-expressions of an expression
let children (e: Expr) : Expr list =
    match e with
    | Expr.Call(_, args, _) -> args |> List.map (fun a -> a.Value)
    | Expr.Unary(_, x, _) -> [ x ]
    | Expr.Binary(_, a, b, _) -> [ a; b ]
    | Expr.Lag(x, n, _) -> [ x; n ]
    | Expr.If(c, a, b, _) -> [ c; a; b ]
    | Expr.List(items, _) ->
        items
        |> List.collect (fun i ->
            match i with
            | ListItem.Item x -> [ x ]
            | ListItem.Span(lo, hi, step, _) -> lo :: hi :: Option.toList step
            | ListItem.Guarded(x, c) -> [ x; c ]
            | ListItem.Pair(k, v, _) -> [ k; v ])
    | Expr.For(body, _, source, _) -> [ body; source ]
    | _ -> []

/// Returns the expressions a declaration holds
let expressionsOf (d: Decl) : Expr list =
    let clauses (cs: Clause list) =
        cs
        |> List.collect (fun c ->
            (c.Args |> Option.map (List.map (fun a -> a.Value)) |> Option.defaultValue [])
            @ Option.toList c.Value)

    match d with
    | Decl.Bar(e, _) -> [ e ]
    | Decl.Universe(Universe.Top(n, _, every), _) -> n :: Option.toList every
    | Decl.Universe(Universe.Symbols e, _) -> [ e ]
    | Decl.Param(_, v, domain, cond, _) ->
        v
        :: (match domain with
            | Some(Domain.Span(lo, hi, step, _)) -> lo :: hi :: Option.toList step
            | Some(Domain.Choices vs) -> vs
            | None -> [])
        @ (cond |> Option.map (fun c -> c.Values) |> Option.defaultValue [])
    | Decl.Def(_, _, body, _) -> [ body ]
    | Decl.Let(_, v, _)
    | Decl.Signal(_, v, _)
    | Decl.Label(_, v, _) -> [ v ]
    | Decl.Model(_, spec, _, train, _) -> spec :: Option.toList train
    | Decl.Portfolio(items, _) ->
        items
        |> List.collect (fun i ->
            match i with
            | PortfolioItem.Rank(_, _, n, by, _) -> [ n; by ]
            | PortfolioItem.Quantile(_, q, bins, by, _) -> [ q; bins; by ]
            | PortfolioItem.Threshold(_, entry, exit, _) -> entry :: Option.toList exit
            | PortfolioItem.Exposure(_, v, _) -> [ v ]
            | _ -> [])
    | Decl.Rebalance(every, keep, _) -> Option.toList every @ Option.toList keep
    | Decl.Costs(cs, _)
    | Decl.Risk(cs, _)
    | Decl.Execution(cs, _)
    | Decl.Exits(cs, _) -> clauses cs
    | _ -> []

/// Returns the deepest nesting of expressions in a declaration and where it is, without recursion (so that
/// any depth can be measured)
let deepest (d: Decl) : int * Range option =
    let stack = System.Collections.Generic.Stack<Expr * int>()

    for e in expressionsOf d do
        stack.Push(e, 1)

    let mutable best = 0, None

    while stack.Count > 0 do
        let e, depth = stack.Pop()

        if depth > fst best then
            best <- depth, Some e.Range

        for c in children e do
            stack.Push(c, depth + 1)

    best
