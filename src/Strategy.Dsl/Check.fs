module StrategyLab.Strategy.Dsl.Check

open System.Collections.Generic
open System.Collections.Immutable
open StrategyLab.Runtime.Plan
open StrategyLab.Strategy.Dsl.Diagnostics
open StrategyLab.Strategy.Dsl.Syntax

[<RequireQualifiedAccess>]
type Series =
    | Column of name: string * range: Range
    | Constant of value: ScalarExpr
    | Op of name: string * inputs: Series list * args: ScalarExpr list * range: Range
    | ModelOutput of model: string * range: Range

[<RequireQualifiedAccess>]
type Leg =
    | Rank of side: StrategyLab.Runtime.Plan.Side * top: bool * count: ScalarExpr * by: Series
    | Quantile of side: StrategyLab.Runtime.Plan.Side * bucket: ScalarExpr * bins: ScalarExpr * by: Series
    | Threshold of side: StrategyLab.Runtime.Plan.Side * entry: Series * exit: Series option

type CheckedModel =
    {
        Name: string
        Kind: string
        Inputs: (Series * ScalarExpr option) list
        Label: string option
        Hyperparameters: (string * ScalarExpr) list
        Training: TrainingSpec option
        Members: (string * ScalarExpr) list
        FitWeights: bool
        Range: Range
    }

type Checked =
    {
        Name: string
        Description: string
        Dataset: string
        Bar: BarInterval
        Universe: UniverseSpec
        Parameters: ParameterSpec list
        Named: (string * SeriesRole * Series * Range) list
        Models: CheckedModel list
        Legs: Leg list
        PortfolioRange: Range
        RebalanceRange: Range option
        Weighting: Weighting
        Scope: QuantileScope
        Gross: ScalarExpr option
        Net: ScalarExpr option
        Leverage: ScalarExpr option
        RebalanceEvery: ScalarExpr option
        RebalanceCalendar: bool
        KeepWithinRank: ScalarExpr option
        Costs: CostSpec option
        Risk: RiskLimit list
        Execution: ExecutionSpec option
        Exits: ExitSpec option
    }

/// What a compile-time scalar measures
type private Kind =
    | Number
    | Duration
    | Text
    | Boolean

/// The value of an expression while checking
type private Value =
    | VScalar of ScalarExpr * Kind
    | VSeries of Series * forward: (string * Range) option
    | VList of Item list
    | VError

and private Item =
    {
        Value: Value
        Guard: ScalarExpr option
    }

type private Global =
    /// declared by a statement with a syntax error: uses are not reported again
    | GUnreadable
    | GParam of Kind
    | GDef of Ident list * Expr
    | GNamed of SeriesRole * Expr
    | GModel

type private Ctx =
    {
        Locals: Map<string, Value>
        InLabel: bool
        Where: string
        Defs: string list
    }

let private noParams =
    Dictionary<string, ScalarValue>() :> IReadOnlyDictionary<_, _>

let private constOf (e: ScalarExpr) =
    match e with
    | :? ScalarConst as c -> Some c.Value
    | _ -> None

let private textOf (e: ScalarExpr) =
    match e with
    | :? ScalarText as t -> Some t.Value
    | _ -> None

let private textOf' (v: ScalarValue) =
    match v.Text with
    | null -> ""
    | t -> t

let private isConstant (e: ScalarExpr) = Seq.isEmpty (e.Parameters())

let private foldScalar (e: ScalarExpr) : ScalarExpr =
    if isConstant e then
        let v = e.Evaluate noParams

        if v.IsText then
            ScalarText(textOf' v) :> _
        else
            ScalarConst v.Number :> _
    else
        e

let private durationText (seconds: float) =
    let s = int64 seconds

    if s % 604800L = 0L && s > 0L then $"%d{s / 604800L}w"
    elif s % 86400L = 0L && s > 0L then $"%d{s / 86400L}d"
    elif s % 3600L = 0L && s > 0L then $"%d{s / 3600L}h"
    elif s % 60L = 0L && s > 0L then $"%d{s / 60L}m"
    else $"%d{s}s"

let private describe (v: Value) =
    match v with
    | VScalar(e, k) ->
        match constOf e, textOf e, e with
        | Some x, _, _ when k = Duration -> durationText x
        | Some x, _, _ when k = Boolean -> (if x <> 0.0 then "true" else "false")
        | Some x, _, _ -> formatNumber x
        | _, Some t, _ -> $"\"%s{t}\""
        | _, _, (:? ScalarParam as p) -> $"parameter '%s{p.Name}'"
        | _ ->
            match k with
            | Text -> "a text"
            | Duration -> "a duration"
            | Boolean -> "a flag"
            | Number -> "a number"
    | VSeries _ -> "a series"
    | VList _ -> "a list"
    | VError -> "an invalid value"

let private scalarOp (op: BinaryOp) =
    match op with
    | BinaryOp.Or -> ScalarOp.Or, "or"
    | BinaryOp.And -> ScalarOp.And, "and"
    | BinaryOp.Lt -> ScalarOp.Less, "lt"
    | BinaryOp.Le -> ScalarOp.LessOrEqual, "le"
    | BinaryOp.Gt -> ScalarOp.Greater, "gt"
    | BinaryOp.Ge -> ScalarOp.GreaterOrEqual, "ge"
    | BinaryOp.Eq -> ScalarOp.Equal, "eq"
    | BinaryOp.Ne -> ScalarOp.NotEqual, "ne"
    | BinaryOp.Add -> ScalarOp.Add, "add"
    | BinaryOp.Sub -> ScalarOp.Subtract, "sub"
    | BinaryOp.Mul -> ScalarOp.Multiply, "mul"
    | BinaryOp.Div -> ScalarOp.Divide, "div"
    | BinaryOp.Pow -> ScalarOp.Power, "pow"

/// The longest window, horizon or count in bars: no data a run loads is longer
let private maxBars = 10_000_000

/// The largest gross, net or leverage (and max_position and max_leverage limit): far past any venue's leverage
let private maxExposure = 1000.0

let private columns =
    Seq.append OperatorCatalogue.StandardColumns OperatorCatalogue.ExtraColumns
    |> set

let private literalValue (e: Expr) : (ScalarValue * Kind) option =
    match e with
    | Expr.Number(v, u, _, _) ->
        match u with
        | NumUnit.Plain -> Some(ScalarValue.Of v, Number)
        | NumUnit.Percent -> Some(ScalarValue.Of(v / 100.0), Number)
        | NumUnit.Bps -> Some(ScalarValue.Of(v / 10000.0), Number)
        | NumUnit.Time _ -> None
    | Expr.Unary(UnaryOp.Neg, Expr.Number(v, u, real, r), _) ->
        match u with
        | NumUnit.Time _ -> None
        | _ ->
            Expr.Number(v, u, real, r)
            |> fun inner ->
                match inner with
                | Expr.Number(v, NumUnit.Plain, _, _) -> Some(ScalarValue.Of(-v), Number)
                | Expr.Number(v, NumUnit.Percent, _, _) -> Some(ScalarValue.Of(-v / 100.0), Number)
                | Expr.Number(v, _, _, _) -> Some(ScalarValue.Of(-v / 10000.0), Number)
                | _ -> None
    | Expr.Text(s, _) -> Some(ScalarValue.Of s, Text)
    | Expr.Bool(b, _) -> Some(ScalarValue.Of(if b then 1.0 else 0.0), Boolean)
    | _ -> None

let private timeSeconds (u: TimeUnit) =
    match u with
    | TimeUnit.Second -> 1.0
    | TimeUnit.Minute -> 60.0
    | TimeUnit.Hour -> 3600.0
    | TimeUnit.Day -> 86400.0
    | TimeUnit.Week -> 604800.0

let private durationLiteral (e: Expr) =
    match e with
    | Expr.Number(v, NumUnit.Time u, _, _) -> Some(v * timeSeconds u)
    | _ -> None

/// An operator's parameters in the shapes the checker binds calls with, computed once per operator
type private Signature =
    {
        Names: string list
        Required: Set<string>
        Series: ArgumentSpec list
        Scalars: ArgumentSpec list
    }

let private signatures =
    System.Collections.Concurrent.ConcurrentDictionary<string, Signature>()

let private signatureOf (spec: OperatorSpec) =
    signatures.GetOrAdd(
        spec.Name,
        fun _ ->
            {
                Names = spec.Parameters |> Seq.map (fun p -> p.Name) |> List.ofSeq
                Required =
                    spec.Parameters
                    |> Seq.filter (fun p -> p.IsRequired)
                    |> Seq.map (fun p -> p.Name)
                    |> set
                Series = List.ofSeq spec.SeriesParameters
                Scalars = List.ofSeq spec.ScalarParameters
            }
    )

let check (program: Program) : Result<Checked, Diagnostic list> =
    let diagnostics = ResizeArray<Diagnostic>()
    let seen = HashSet<string>()

    let report (d: Diagnostic) =
        let key =
            // one forward-looking sub-expression is reported once, however many statements reach it
            let message = if d.Code = "SL0401" then "" else d.Message
            $"%s{d.Code}|%s{d.Range.File}|%d{d.Range.Start.Line}|%d{d.Range.Start.Column}|%s{message}"

        if seen.Add key then
            diagnostics.Add d

    let decls = program.Statements |> List.map (fun s -> s.Decl)

    let isMain (r: Range) = r.File = program.File

    // header statements
    let single (keyword: string) (pick: Decl -> 'a option) : 'a option =
        let found =
            decls |> List.choose (fun d -> pick d |> Option.map (fun x -> x, d.Range))

        for (_, r) in found |> List.skip (min 1 found.Length) do
            report (repeatedStatement r keyword (snd found.Head))

        for (_, r) in found do
            if not (isMain r) then
                report (notAllowedInInclude r keyword)

        found |> List.tryHead |> Option.map fst

    let fileStart = Range.startOf program.File

    let strategy =
        single "strategy" (fun d ->
            match d with
            | Decl.Strategy(n, desc, _) -> Some(n, desc)
            | _ -> None)

    let dataset =
        single "data" (fun d ->
            match d with
            | Decl.Data(n, _) -> Some n
            | _ -> None)

    let barDecl =
        single "bar" (fun d ->
            match d with
            | Decl.Bar(e, r) -> Some(e, r)
            | _ -> None)

    let hasSyntaxErrors =
        decls
        |> List.exists (fun d ->
            match d with
            | Decl.Error _ -> true
            | _ -> false)

    let requireStatement keyword example (value: 'a option) =
        if value.IsNone && not hasSyntaxErrors then
            report (missingStatement fileStart keyword example)

    requireStatement "strategy" "strategy NAME \"description\"" strategy
    requireStatement "data" "data daily_top100" dataset
    requireStatement "bar" "bar 1d" barDecl

    let bar: BarInterval option =
        match barDecl with
        | Some(e, _) ->
            let text = Print.expr e

            match durationLiteral e with
            | Some seconds when BarInterval.Supported.Contains text -> Some(BarInterval(text, int seconds))
            | _ ->
                report (unsupportedInterval e.Range $"'%s{text}'" BarInterval.Supported)
                None
        | None -> None

    // global names
    let globals = Dictionary<string, Global * Range>()

    let declare (id: Ident) (g: Global) =
        match globals.TryGetValue id.Name with
        | true, (_, first) -> report (duplicateDefinition id.Range id.Name first)
        | _ -> globals[id.Name] <- (g, id.Range)

    // parameters first: their kinds are needed to type every expression
    let parameters = ResizeArray<ParameterSpec>()

    let literal (e: Expr) =
        match durationLiteral e with
        | Some s -> Some(ScalarValue.Of s, Duration)
        | None ->
            match literalValue e with
            | Some v -> Some v
            | None ->
                report (notALiteral e.Range "value")
                None

    // a condition names an earlier parameter with choices: every parameter's name and where it is declared tell
    // a later parameter from an unknown one, and the choices as written go into the hint for a wrong value
    let allParams =
        decls
        |> List.choose (fun d ->
            match d with
            | Decl.Param(name = n) -> Some n
            | _ -> None)

    // the parameter each condition names, to tell a loop of conditions from one written out of order
    let conditionOf =
        decls
        |> List.choose (fun d ->
            match d with
            | Decl.Param(name = n; condition = Some c) -> Some(n.Name, c.Parameter.Name)
            | _ -> None)
        |> Map.ofList

    // the names from 'start' along the conditions up to 'target', when they lead back to it
    let loopTo (target: string) (start: string) =
        let rec follow name path steps =
            if name = target then
                Some(List.rev path)
            elif steps = 0 then
                None
            else
                match conditionOf.TryFind name with
                | Some next -> follow next (name :: path) (steps - 1)
                | None -> None

        follow start [] (List.length allParams)

    let seen = HashSet<string>()
    let earlier = Dictionary<string, Kind * string list>()

    let checkCondition (conditioned: Ident) (c: Condition) : ParameterActivation option =
        let p = c.Parameter

        if p.Name = conditioned.Name then
            report (conditionOnItself p.Range p.Name)
            None
        else
            match earlier.TryGetValue p.Name, parameters |> Seq.tryFindBack (fun s -> s.Name = p.Name) with
            | _ when not (seen.Contains p.Name) ->
                match allParams |> List.tryFind (fun n -> n.Name = p.Name) with
                | Some later ->
                    match loopTo conditioned.Name later.Name with
                    | None -> report (conditionOnLaterParameter p.Range p.Name conditioned.Name later.Range)
                    // a loop is reported once, at its first parameter: the others' conditions are part of it
                    | Some path when path |> List.forall (fun n -> not (seen.Contains n)) ->
                        report (
                            conditionLoop p.Range conditioned.Name (conditioned.Name :: path @ [ conditioned.Name ])
                        )
                    | Some _ -> ()
                | None -> report (unknownConditionParameter p.Range p.Name (suggest p.Name seen))

                None
            | (false, _), _
            | _, None -> None // its own declaration was reported
            | _, Some parent when parent.Kind <> ParameterKind.Choice && parent.Kind <> ParameterKind.Boolean ->
                report (conditionWithoutChoices p.Range p.Name)
                None
            | (true, (kind, choices)), Some parent ->
                let values =
                    c.Values
                    |> List.map (fun v ->
                        match literal v with
                        | Some(x, k) when k = kind && parent.Choices.Contains x -> Some x
                        | Some _ ->
                            report (conditionValueNotAChoice v.Range p.Name (Print.expr v) choices)
                            None
                        | None -> None)

                if values |> List.forall Option.isSome then
                    Some(
                        ParameterActivation(
                            p.Name,
                            ImmutableArray.CreateRange(values |> List.choose id |> List.distinct)
                        )
                    )
                else
                    None

    let withActivation (p: ParameterSpec) (w: ParameterActivation) =
        ParameterSpec(p.Name, p.Kind, p.Default, p.Min, p.Max, p.Step, p.LogScale, p.Choices, w)

    for d in decls do
        match d with
        | Decl.Param(name, value, domain, cond, _) ->
            let before = parameters.Count

            match literal value with
            | None -> declare name (GParam Number)
            | Some(dflt, kind) ->
                declare name (GParam kind)
                let isWhole (x: float) = System.Double.IsInteger x

                match domain with
                | None ->
                    let k =
                        if kind = Boolean then
                            ParameterKind.Boolean
                        else
                            ParameterKind.Fixed

                    let choices =
                        if kind = Boolean then
                            ImmutableArray.Create(ScalarValue.Of 0.0, ScalarValue.Of 1.0)
                        else
                            ImmutableArray<ScalarValue>.Empty

                    parameters.Add(
                        ParameterSpec(
                            name.Name,
                            k,
                            dflt,
                            System.Nullable(),
                            System.Nullable(),
                            System.Nullable(),
                            false,
                            choices
                        )
                    )
                | Some(Domain.Choices values) ->
                    let vs = values |> List.choose literal

                    if vs.Length = values.Length then
                        if vs |> List.exists (fun (_, k) -> k <> kind) then
                            report (
                                typeMismatch
                                    value.Range
                                    "a value of the same type as the choices"
                                    (describe (
                                        VScalar(
                                            (if kind = Text then
                                                 ScalarText(textOf' dflt) :> ScalarExpr
                                             else
                                                 ScalarConst dflt.Number),
                                            kind
                                        )
                                    ))
                            )
                        elif not (vs |> List.exists (fun (v, _) -> v = dflt)) then
                            let listed = "[" + System.String.Join(", ", values |> List.map Print.expr) + "]"
                            report (defaultOutsideDomain value.Range name.Name (Print.expr value) listed)

                    parameters.Add(
                        ParameterSpec(
                            name.Name,
                            ParameterKind.Choice,
                            dflt,
                            System.Nullable(),
                            System.Nullable(),
                            System.Nullable(),
                            false,
                            ImmutableArray.CreateRange(vs |> List.map fst)
                        )
                    )
                | Some(Domain.Span(lo, hi, step, log)) ->
                    match literal lo, literal hi, step |> Option.map literal with
                    | Some(l, lk), Some(h, hk), stepValue when lk = kind && hk = kind && kind <> Text ->
                        let s =
                            match stepValue with
                            | Some(Some(s, _)) -> Some s.Number
                            | _ -> None

                        if l.Number > h.Number then
                            report (emptyRange lo.Range (Print.expr lo) (Print.expr hi))
                        elif dflt.Number < l.Number || dflt.Number > h.Number then
                            report (
                                defaultOutsideDomain
                                    value.Range
                                    name.Name
                                    (Print.expr value)
                                    (Print.expr lo + ".." + Print.expr hi)
                            )

                        match s with
                        | Some s when s <= 0.0 -> report (emptyRange lo.Range (Print.expr lo) (Print.expr hi))
                        | _ -> ()

                        if log && l.Number <= 0.0 then
                            report (logRangeNotPositive lo.Range name.Name)

                        let writtenReal (e: Expr) =
                            match e with
                            | Expr.Number(real = true)
                            | Expr.Unary(UnaryOp.Neg, Expr.Number(real = true), _) -> true
                            | _ -> false

                        let integer =
                            not log
                            && not (value :: lo :: hi :: Option.toList step |> List.exists writtenReal)
                            && isWhole dflt.Number
                            && isWhole l.Number
                            && isWhole h.Number
                            && (s |> Option.forall isWhole)

                        parameters.Add(
                            ParameterSpec(
                                name.Name,
                                (if integer then
                                     ParameterKind.Integer
                                 else
                                     ParameterKind.Real),
                                dflt,
                                System.Nullable l.Number,
                                System.Nullable h.Number,
                                (match s with
                                 | Some s -> System.Nullable s
                                 | None -> System.Nullable()),
                                log,
                                ImmutableArray<ScalarValue>.Empty
                            )
                        )
                    | Some(_, lk), Some(_, hk), _ ->
                        let culprit = if lk <> kind then lo else hi
                        let found = if lk <> kind then lk else hk

                        let name k =
                            match k with
                            | Number -> "a number"
                            | Duration -> "a duration"
                            | Text -> "a text"
                            | Boolean -> "a flag"

                        report (
                            typeMismatch
                                culprit.Range
                                $"a range bound of the default's type (%s{name kind})"
                                (name found)
                        )
                    | _ -> ()

            let added =
                if parameters.Count > before then
                    Some parameters[parameters.Count - 1]
                else
                    None

            match cond, cond |> Option.bind (checkCondition name), added with
            | Some c, Some _, Some spec when spec.Kind = ParameterKind.Fixed ->
                report (conditionOnConstant c.Range name.Name)
            | _, Some activation, Some spec -> parameters[parameters.Count - 1] <- withActivation spec activation
            | _ -> ()

            seen.Add name.Name |> ignore

            match added with
            | Some spec when not (earlier.ContainsKey name.Name) ->
                // the default was read when the parameter was added, so this reports nothing again
                let kind = literal value |> Option.map snd |> Option.defaultValue Number

                let choices =
                    match domain with
                    | Some(Domain.Choices values) -> values |> List.map Print.expr
                    | _ when spec.Kind = ParameterKind.Boolean -> [ "true"; "false" ]
                    | _ -> []

                earlier[name.Name] <- (kind, choices)
            | _ -> ()
        | _ -> ()

    let paramSpecs = parameters |> Seq.map (fun p -> p.Name, p) |> dict

    for d in decls do
        match d with
        | Decl.Def(name, ps, body, _) ->
            declare name (GDef(ps, body))

            let dupes =
                ps |> List.groupBy (fun p -> p.Name) |> List.filter (fun (_, g) -> g.Length > 1)

            for (_, g) in dupes do
                report (duplicateDefinition g[1].Range g[1].Name g[0].Range)
        | Decl.Let(name, value, _) -> declare name (GNamed(SeriesRole.Let, value))
        | Decl.Signal(name, value, _) -> declare name (GNamed(SeriesRole.Signal, value))
        | Decl.Label(name, value, _) -> declare name (GNamed(SeriesRole.Label, value))
        | Decl.Model(name, _, _, _, _) -> declare name GModel
        | Decl.Error(Some name, _) when not (globals.ContainsKey name) -> globals[name] <- (GUnreadable, d.Range)
        | _ -> ()

    let cache = Dictionary<string, Value>()
    let inProgress = ResizeArray<string>()

    let allNames (ctx: Ctx) =
        List.concat
            [
                List.ofSeq (Map.keys ctx.Locals)
                List.ofSeq globals.Keys
                Set.toList columns
            ]

    let asSeries (range: Range) (v: Value) : (Series * (string * Range) option) option =
        match v with
        | VSeries(s, f) -> Some(s, f)
        | VScalar(e, (Number | Boolean | Duration)) -> Some(Series.Constant e, None)
        | VError -> None
        | other ->
            report (typeMismatch range "a series or number" (describe other))
            None

    // the numbers a parameter can take: its default, its bounds and its choices
    let valuesOf (p: string) =
        match paramSpecs.TryGetValue p with
        | true, spec ->
            [
                yield spec.Default.Number
                yield! Option.toList (Option.ofNullable spec.Min)
                yield! Option.toList (Option.ofNullable spec.Max)
                for c in spec.Choices do
                    if not c.IsText then
                        yield c.Number
            ]
        | _ -> []

    // the first value of a constant or of a parameter expression's parameters that fails ok
    let firstBad (ok: float -> bool) (e: ScalarExpr) =
        match constOf e with
        | Some x -> if ok x then None else Some x
        | None -> e.Parameters() |> Seq.collect valuesOf |> Seq.tryFind (ok >> not)

    // a window, horizon or count past this fits no data a run can load: refused before anything is sized by it
    let tooLong (name: string) (minimum: float) (range: Range) (bars: float) =
        report (
            outsideRange
                range
                $"'%s{name}'"
                (formatNumber minimum)
                (formatNumber (float maxBars))
                (formatNumber bars)
                (Some "no run has data that long; windows, horizons and counts are at most 10 million bars")
        )

    let toWindow (name: string) (minimum: float) (range: Range) (v: Value) : ScalarExpr option =
        let bounded (bars: ScalarExpr) =
            match firstBad (fun x -> not (x > float maxBars)) bars with
            | Some x ->
                tooLong name minimum range x
                None
            | None -> Some bars

        match v with
        | VScalar(e, (Number | Boolean)) ->
            match constOf e with
            | Some x when System.Double.IsInteger x && x >= minimum -> bounded e
            | Some x ->
                report (notPositiveWhole range $"'%s{name}'" (formatNumber x))
                None
            | None ->
                match e with
                | :? ScalarParam as p when paramSpecs.ContainsKey p.Name && paramSpecs[p.Name].Kind = ParameterKind.Real ->
                    report (typeMismatch range "a whole number of bars" $"real parameter '%s{p.Name}'")
                    None
                | _ -> bounded e
        | VScalar(e, Duration) ->
            match bar with
            | None -> None
            | Some b ->
                let check (seconds: float) =
                    seconds > 0.0
                    && System.Math.IEEERemainder(seconds, float b.Seconds) = 0.0
                    && seconds / float b.Seconds >= minimum

                match constOf e with
                | Some seconds ->
                    if check seconds || (seconds = 0.0 && minimum = 0.0) then
                        bounded (ScalarConst(seconds / float b.Seconds))
                    else
                        report (windowNotWholeBars range (durationText seconds) b.Text)
                        None
                | None ->
                    match firstBad check e with
                    | Some s ->
                        report (windowNotWholeBars range (durationText s) b.Text)
                        None
                    | None ->
                        match firstBad (fun s -> not (s / float b.Seconds > float maxBars)) e with
                        | Some s ->
                            tooLong name minimum range (s / float b.Seconds)
                            None
                        | None -> Some(ScalarBinary(ScalarOp.Divide, e, ScalarConst(float b.Seconds)) :> ScalarExpr)
        | VError -> None
        | other ->
            report (typeMismatch range "a window (a number of bars or a duration)" (describe other))
            None

    let toScalar (spec: ArgumentSpec) (range: Range) (v: Value) : ScalarExpr option =
        let minimumOk (e: ScalarExpr) =
            match constOf e, Option.ofNullable spec.Min with
            | Some x, Some m when x < m ->
                report (belowMinimum range spec.Name m (formatNumber x))
                false
            | _ -> true

        match spec.Type, v with
        | _, VError -> None
        | ArgumentType.Integer, VScalar(e, (Number | Boolean)) ->
            match constOf e with
            | Some x when not (System.Double.IsInteger x) ->
                report (typeMismatch range $"a whole number for '%s{spec.Name}'" (formatNumber x))
                None
            | _ -> if minimumOk e then Some e else None
        | ArgumentType.Number, VScalar(e, (Number | Boolean)) -> if minimumOk e then Some e else None
        | ArgumentType.Boolean, VScalar(e, (Boolean | Number)) -> Some e
        | ArgumentType.Duration, VScalar(e, Duration) -> if minimumOk e then Some e else None
        | ArgumentType.Text, VScalar(e, Text) ->
            let choices = List.ofSeq spec.AllowedChoices

            match textOf e with
            | Some t when not choices.IsEmpty && not (List.contains t choices) ->
                report (notAChoice range spec.Name choices t)
                None
            | _ -> Some e
        | t, other ->
            let expected =
                match t with
                | ArgumentType.Integer -> "a whole number"
                | ArgumentType.Number -> "a number"
                | ArgumentType.Boolean -> "true or false"
                | ArgumentType.Duration -> "a duration such as 30s"
                | ArgumentType.Text -> "a text"
                | _ -> "a value"

            report (typeMismatch range $"%s{expected} for '%s{spec.Name}'" (describe other))
            None

    // binds call arguments to parameter specs: positional first, then by name
    let bindArgs (fn: string) (callRange: Range) (names: string list) (required: string -> bool) (args: Arg list) =
        let slots = Dictionary<string, Arg>()
        let mutable ok = true
        let positional = args |> List.filter (fun a -> a.Name.IsNone)

        if positional.Length > names.Length then
            report (tooManyArguments positional[names.Length].Value.Range fn names.Length positional.Length)
            ok <- false

        positional
        |> List.iteri (fun i a ->
            if i < names.Length then
                slots[names[i]] <- a)

        for a in args do
            match a.Name with
            | Some n when not (List.contains n.Name names) ->
                report (unknownArgument n.Range fn n.Name (suggest n.Name names))
                ok <- false
            | Some n when slots.ContainsKey n.Name ->
                report (duplicateArgument n.Range fn n.Name)
                ok <- false
            | Some n -> slots[n.Name] <- a
            | None -> ()

        for n in names do
            if not (slots.ContainsKey n) && required n then
                report (missingArgument callRange fn n)
                ok <- false

        slots, ok

    // defs are inlined and comprehensions expanded, which can multiply: the work is bounded so no input hangs
    let budget = 2_000_000
    let mutable spent = 0

    let rec eval (ctx: Ctx) (e: Expr) : Value =
        spent <- spent + 1

        if spent > budget then
            if spent = budget + 1 then
                report (expansionTooLarge e.Range budget)

            VError
        else
            evalExpr ctx e

    and evalExpr (ctx: Ctx) (e: Expr) : Value =
        match e with
        | Expr.Number(v, u, _, _) ->
            match u with
            | NumUnit.Plain -> VScalar(ScalarConst v, Number)
            | NumUnit.Percent -> VScalar(ScalarConst(v / 100.0), Number)
            | NumUnit.Bps -> VScalar(ScalarConst(v / 10000.0), Number)
            | NumUnit.Time t -> VScalar(ScalarConst(v * timeSeconds t), Duration)
        | Expr.Text(s, _) -> VScalar(ScalarText s, Text)
        | Expr.Bool(b, _) -> VScalar(ScalarConst(if b then 1.0 else 0.0), Boolean)
        | Expr.Error _ -> VError
        | Expr.Name id -> evalName ctx id
        | Expr.Call(f, args, range) -> evalCall ctx e f args range
        | Expr.Unary(op, x, range) ->
            match eval ctx x with
            | VError -> VError
            | VScalar(s, k) when k <> Text ->
                let sop = if op = UnaryOp.Neg then ScalarOp.Negate else ScalarOp.Not
                let kind = if op = UnaryOp.Not then Boolean else k
                VScalar(foldScalar (ScalarUnary(sop, s)), kind)
            | VSeries(s, f) -> VSeries(Series.Op((if op = UnaryOp.Neg then "neg" else "not"), [ s ], [], range), f)
            | other ->
                report (typeMismatch x.Range "a number or series" (describe other))
                VError
        | Expr.Binary(op, a, b, range) ->
            let va = eval ctx a
            let vb = eval ctx b
            let sop, name = scalarOp op

            let comparison =
                match op with
                | BinaryOp.Lt
                | BinaryOp.Le
                | BinaryOp.Gt
                | BinaryOp.Ge
                | BinaryOp.Eq
                | BinaryOp.Ne -> true
                | _ -> false

            match va, vb with
            | VError, _
            | _, VError -> VError
            | VScalar(x, Text), VScalar(y, Text) when op = BinaryOp.Eq || op = BinaryOp.Ne ->
                VScalar(foldScalar (ScalarBinary(sop, x, y)), Boolean)
            | VScalar(_, Text), other
            | other, VScalar(_, Text) ->
                let culprit =
                    if
                        (match va with
                         | VScalar(_, Text) -> true
                         | _ -> false)
                    then
                        a
                    else
                        b

                report (
                    typeMismatch
                        culprit.Range
                        "a number or series"
                        (if
                             (match other with
                              | VScalar(_, Text) -> true
                              | _ -> false)
                         then
                             "a text"
                         else
                             "a text")
                )

                VError
            | VScalar(x, kx), VScalar(y, ky) ->
                let kind =
                    if comparison || op = BinaryOp.And || op = BinaryOp.Or then
                        Boolean
                    elif (op = BinaryOp.Add || op = BinaryOp.Sub) && kx = Duration && ky = Duration then
                        Duration
                    elif op = BinaryOp.Mul && (kx = Duration) <> (ky = Duration) then
                        Duration
                    elif op = BinaryOp.Div && kx = Duration && ky <> Duration then
                        Duration
                    else
                        Number

                VScalar(foldScalar (ScalarBinary(sop, x, y)), kind)
            | (VList _ as l), _
            | _, (VList _ as l) ->
                let culprit =
                    if
                        (match va with
                         | VList _ -> true
                         | _ -> false)
                    then
                        a
                    else
                        b

                report (typeMismatch culprit.Range "a number or series" (describe l))
                VError
            | _ ->
                match asSeries a.Range va, asSeries b.Range vb with
                | Some(sa, fa), Some(sb, fb) -> VSeries(Series.Op(name, [ sa; sb ], [], range), Option.orElse fb fa)
                | _ -> VError
        | Expr.Lag(x, n, range) ->
            let vx = eval ctx x
            let vn = eval ctx n

            match asSeries x.Range vx, toWindow "lag" 1.0 n.Range vn with
            | Some(s, f), Some lag -> VSeries(Series.Op("lag", [ s ], [ lag ], range), f)
            | _ -> VError
        | Expr.If(c, a, b, range) ->
            let vc = eval ctx c
            let va = eval ctx a
            let vb = eval ctx b

            match vc, va, vb with
            | VError, _, _
            | _, VError, _
            | _, _, VError -> VError
            | VScalar(sc, (Boolean | Number)), VScalar(sa, ka), VScalar(sb, _) ->
                VScalar(foldScalar (ScalarIf(sc, sa, sb)), ka)
            | _ ->
                match asSeries c.Range vc, asSeries a.Range va, asSeries b.Range vb with
                | Some(sc, fc), Some(sa, fa), Some(sb, fb) ->
                    VSeries(Series.Op("select", [ sc; sa; sb ], [], range), fc |> Option.orElse fa |> Option.orElse fb)
                | _ -> VError
        | Expr.List(items, _) -> VList(items |> List.collect (evalItem ctx))
        | Expr.For(body, var, source, _) ->
            match eval ctx source with
            | VList items ->
                let constantItems =
                    items
                    |> List.filter (fun i ->
                        match i.Value, i.Guard with
                        | VScalar(s, _), None when not (isConstant s) ->
                            report (comprehensionNotConstant source.Range (describe i.Value))
                            false
                        | _, Some _ ->
                            report (comprehensionNotConstant source.Range "an item with 'when'")
                            false
                        | VError, _ -> false
                        | _ -> true)

                if constantItems.Length <> items.Length then
                    VError
                else
                    VList(
                        items
                        |> List.collect (fun i ->
                            let ctx' =
                                { ctx with
                                    Locals = ctx.Locals.Add(var.Name, i.Value)
                                }

                            match eval ctx' body with
                            | VList inner -> inner
                            | v -> [ { Value = v; Guard = None } ])
                    )
            | VError -> VError
            | other ->
                report (comprehensionNotConstant source.Range (describe other))
                VError

    and evalItem (ctx: Ctx) (item: ListItem) : Item list =
        match item with
        | ListItem.Item e ->
            match eval ctx e with
            | VList inner -> inner
            | v -> [ { Value = v; Guard = None } ]
        | ListItem.Span(lo, hi, step, range) ->
            let number (e: Expr) =
                match eval ctx e with
                | VScalar(s, (Number | Duration as k)) when isConstant s ->
                    Some((foldScalar s).Evaluate(noParams).Number, k)
                | VError -> None
                | other ->
                    report (comprehensionNotConstant e.Range (describe other))
                    None

            match number lo, number hi, step |> Option.map number with
            | Some(l, k), Some(h, _), stepValue ->
                let s =
                    match stepValue with
                    | Some(Some(s, _)) -> s
                    | _ -> 1.0

                if s <= 0.0 || l > h || (h - l) / s > 100000.0 then
                    report (emptyRange range (formatNumber l) (formatNumber h))
                    []
                else
                    [
                        for i in 0 .. int (System.Math.Floor((h - l) / s + 1e-9)) ->
                            {
                                Value = VScalar(ScalarConst(l + float i * s), k)
                                Guard = None
                            }
                    ]
            | _ -> [ { Value = VError; Guard = None } ]
        | ListItem.Pair(_, _, range) ->
            report (pairOutsideTable range)
            [ { Value = VError; Guard = None } ]
        | ListItem.Guarded(e, cond) ->
            let guard =
                match eval ctx cond with
                | VScalar(g, (Boolean | Number)) -> Some g
                | VError -> None
                | other ->
                    report (typeMismatch cond.Range "a flag (true or false)" (describe other))
                    None

            evalItem ctx (ListItem.Item e)
            |> List.map (fun i ->
                { i with
                    Guard =
                        match i.Guard, guard with
                        | Some a, Some b -> Some(ScalarBinary(ScalarOp.And, a, b) :> ScalarExpr)
                        | a, b -> Option.orElse b a
                })

    and evalName (ctx: Ctx) (id: Ident) : Value =
        match ctx.Locals.TryFind id.Name with
        | Some v -> v
        | None ->
            match globals.TryGetValue id.Name with
            | true, (GUnreadable, _) -> VError
            | true, (GParam kind, _) -> VScalar(ScalarParam id.Name, kind)
            | true, (GModel, _) -> VSeries(Series.ModelOutput(id.Name, id.Range), None)
            | true, (GDef _, _) ->
                report (typeMismatch id.Range "a value" $"the function '%s{id.Name}' without arguments")
                VError
            | true, (GNamed(SeriesRole.Label, _), _) when not ctx.InLabel ->
                report (labelAsInput id.Range id.Name ctx.Where)
                VError
            | true, (GNamed _, _) -> evalGlobal id.Name id.Range
            | _ ->
                if columns.Contains id.Name then
                    VSeries(Series.Column(id.Name, id.Range), None)
                else
                    report (unknownName id.Range id.Name (suggest id.Name (allNames ctx)))
                    VError

    and evalGlobal (name: string) (useRange: Range) : Value =
        match cache.TryGetValue name with
        | true, v -> v
        | _ when inProgress.Contains name ->
            let cycle =
                (inProgress |> Seq.skipWhile (fun n -> n <> name) |> List.ofSeq) @ [ name ]

            report (circularDefinition useRange cycle)
            VError
        | _ ->
            match globals.TryGetValue name with
            | true, (GNamed(role, body), _) ->
                inProgress.Add name

                let kind =
                    match role with
                    | SeriesRole.Let -> "let"
                    | SeriesRole.Signal -> "signal"
                    | _ -> "label"

                let ctx =
                    {
                        Locals = Map.empty
                        InLabel = (role = SeriesRole.Label)
                        Where = $"%s{kind} '%s{name}'"
                        Defs = []
                    }

                let v = eval ctx body
                inProgress.Remove name |> ignore
                requireSafe ctx v
                cache[name] <- v
                v
            | _ -> VError

    and requireSafe (ctx: Ctx) (v: Value) =
        if not ctx.InLabel then
            match v with
            | VSeries(_, Some(text, r)) -> report (forwardOutsideLabel r text ctx.Where)
            | VList items ->
                for i in items do
                    requireSafe ctx i.Value
            | _ -> ()

    and evalCall (ctx: Ctx) (whole: Expr) (f: Ident) (args: Arg list) (range: Range) : Value =
        match ctx.Locals.TryFind f.Name, globals.TryGetValue f.Name with
        | None, (true, (GUnreadable, _)) -> VError
        | None, (true, (GDef(ps, body), _)) ->
            if List.contains f.Name ctx.Defs then
                report (circularDefinition f.Range (List.rev (f.Name :: ctx.Defs)))
                VError
            else
                let names = ps |> List.map (fun p -> p.Name)
                let slots, ok = bindArgs f.Name range names (fun _ -> true) args

                if not ok then
                    VError
                else
                    let locals =
                        names
                        |> List.fold (fun (m: Map<string, Value>) n -> m.Add(n, eval ctx slots[n].Value)) Map.empty

                    let inner =
                        eval
                            { ctx with
                                Locals = locals
                                Defs = f.Name :: ctx.Defs
                            }
                            body

                    match inner with
                    | VSeries(s, Some(_, r)) when
                        r.File <> range.File
                        || r.Start.Line <> range.Start.Line
                        || r.Start.Column < range.Start.Column
                        || r.Start.Column > range.End.Column
                        ->
                        VSeries(s, Some(Print.expr whole, range))
                    | v -> v
        | _ ->
            match OperatorCatalogue.Find f.Name with
            | null ->
                match ModelCatalogue.FindModel f.Name with
                | null ->
                    let candidates =
                        Seq.append
                            (globals
                             |> Seq.choose (fun kv ->
                                 match fst kv.Value with
                                 | GDef _ -> Some kv.Key
                                 | _ -> None))
                            (OperatorCatalogue.All |> Seq.map (fun o -> o.Name))

                    report (unknownFunction f.Range f.Name (suggest f.Name candidates))
                    VError
                | _ ->
                    report (
                        typeMismatch
                            f.Range
                            "an operator or def"
                            $"the model kind '%s{f.Name}' (declare it with 'model NAME = %s{f.Name}(...)')"
                    )

                    VError
            | spec ->
                let signature = signatureOf spec

                let slots, ok =
                    bindArgs f.Name range signature.Names signature.Required.Contains args

                if not ok then
                    VError
                else
                    let mutable failed = false
                    let mutable forward = None

                    let inputs =
                        [
                            for p in signature.Series do
                                match slots.TryGetValue p.Name with
                                | true, a ->
                                    match asSeries a.Value.Range (eval ctx a.Value) with
                                    | Some(s, fwd) ->
                                        forward <- Option.orElse fwd forward
                                        yield s
                                    | None -> failed <- true
                                | _ ->
                                    match p.DefaultColumn with
                                    | null -> failed <- true
                                    | column -> yield Series.Column(column, range)
                        ]

                    let scalars =
                        [
                            for p in signature.Scalars do
                                match slots.TryGetValue p.Name with
                                | true, a ->
                                    let v = eval ctx a.Value

                                    let converted =
                                        if p.Type = ArgumentType.Window then
                                            toWindow p.Name (defaultArg (Option.ofNullable p.Min) 1.0) a.Value.Range v
                                        else
                                            toScalar p a.Value.Range v

                                    match converted with
                                    | Some s -> yield s
                                    | None -> failed <- true
                                | _ ->
                                    let d = p.Default.Value

                                    yield
                                        (if d.IsText then
                                             ScalarText(textOf' d) :> ScalarExpr
                                         else
                                             ScalarConst d.Number)
                        ]

                    if failed then
                        VError
                    else
                        let fwd =
                            if spec.IsForwardLooking then
                                Some(Print.expr whole, range)
                            else
                                forward

                        VSeries(Series.Op(f.Name, inputs, scalars, range), fwd)

    // evaluate every named series in source order, so unused ones are checked too
    let named =
        decls
        |> List.choose (fun d ->
            match d with
            | Decl.Let(n, _, r) -> Some(n, SeriesRole.Let, r)
            | Decl.Signal(n, _, r) -> Some(n, SeriesRole.Signal, r)
            | Decl.Label(n, _, r) -> Some(n, SeriesRole.Label, r)
            | _ -> None)
        |> List.choose (fun (n, role, r) ->
            match globals.TryGetValue n.Name with
            | true, (GNamed(role', _), first) when role' = role && first = n.Range ->
                match evalGlobal n.Name n.Range with
                | VSeries(s, _) -> Some(n.Name, role, s, r)
                | VScalar(s, (Number | Boolean | Duration)) when role <> SeriesRole.Let ->
                    Some(n.Name, role, Series.Constant s, r)
                | VScalar _
                | VList _ when role = SeriesRole.Let -> None
                | VError -> None
                | other ->
                    report (typeMismatch n.Range "a series" (describe other))
                    None
            | _ -> None)

    // models
    let rootCtx where =
        {
            Locals = Map.empty
            InLabel = false
            Where = where
            Defs = []
        }

    let bindConfig (config: ConfigSpec) (ctx: Ctx) (callRange: Range) (args: Arg list) =
        let specs = List.ofSeq config.Parameters
        let names = specs |> List.map (fun p -> p.Name)

        let slots, ok =
            bindArgs
                config.Name
                callRange
                names
                (fun n ->
                    (specs |> List.find (fun p -> p.Name = n)).IsRequired
                    && n <> "members"
                    && n <> "weights")
                args

        let values =
            specs
            |> List.map (fun p ->
                match slots.TryGetValue p.Name with
                | true, a -> p, Some(a, eval ctx a.Value)
                | _ -> p, None)

        values, ok

    let labels =
        named
        |> List.filter (fun (_, role, _, _) -> role = SeriesRole.Label)
        |> List.map (fun (n, _, _, _) -> n)
        |> set

    let models =
        decls
        |> List.choose (fun d ->
            match d with
            | Decl.Model(name, spec, learn, train, range) ->
                let ctx = rootCtx "a model input"

                match spec with
                | Expr.Call(kind, args, callRange) ->
                    match ModelCatalogue.FindModel kind.Name with
                    | null ->
                        report (
                            unknownModelKind
                                kind.Range
                                kind.Name
                                (suggest kind.Name (ModelCatalogue.Models |> Seq.map (fun m -> m.Name)))
                        )

                        None
                    | config ->
                        let values, ok = bindConfig config ctx callRange args
                        let mutable failed = not ok
                        let isEnsemble = config.Name = "ensemble"

                        let inputs =
                            values
                            |> List.collect (fun (p, v) ->
                                match p.Type, v with
                                | ArgumentType.SeriesList, Some(a, value) ->
                                    requireSafe ctx value

                                    let items =
                                        match value with
                                        | VList items -> items
                                        | v -> [ { Value = v; Guard = None } ]

                                    items
                                    |> List.choose (fun i ->
                                        match asSeries a.Value.Range i.Value with
                                        | Some(s, _) -> Some(s, i.Guard)
                                        | None ->
                                            failed <- true
                                            None)
                                | _ -> [])

                        let hyper =
                            values
                            |> List.choose (fun (p, v) ->
                                match p.Type, v with
                                | (ArgumentType.SeriesList | ArgumentType.ModelList | ArgumentType.NumberList), _ ->
                                    None
                                | _, Some(a, value) ->
                                    let converted =
                                        if p.Type = ArgumentType.Window then
                                            toWindow p.Name 0.0 a.Value.Range value
                                        else
                                            toScalar p a.Value.Range value

                                    match converted with
                                    | Some s -> Some(p.Name, s)
                                    | None ->
                                        failed <- true
                                        None
                                | _, None ->
                                    let d = p.Default.Value

                                    Some(
                                        p.Name,
                                        (if d.IsText then
                                             ScalarText(textOf' d) :> ScalarExpr
                                         else
                                             ScalarConst d.Number)
                                    ))

                        let memberNames =
                            values
                            |> List.collect (fun (p, v) ->
                                match p.Type, v with
                                | ArgumentType.ModelList, Some(a, VList items) ->
                                    items
                                    |> List.choose (fun i ->
                                        match i.Value with
                                        | VSeries(Series.ModelOutput(m, _), _) -> Some m
                                        | VError -> None
                                        | other ->
                                            report (
                                                typeMismatch a.Value.Range "a list of model names" (describe other)
                                            )

                                            failed <- true
                                            None)
                                | ArgumentType.ModelList, Some(a, other) ->
                                    report (typeMismatch a.Value.Range "a list of model names" (describe other))
                                    failed <- true
                                    []
                                | _ -> [])

                        let weights =
                            values
                            |> List.tryPick (fun (p, v) ->
                                match p.Type, v with
                                | ArgumentType.NumberList, Some(a, VList items) ->
                                    Some(
                                        a.Value.Range,
                                        items
                                        |> List.choose (fun i ->
                                            match i.Value with
                                            | VScalar(s, Number) -> Some s
                                            | other ->
                                                report (
                                                    typeMismatch a.Value.Range "a list of numbers" (describe other)
                                                )

                                                failed <- true
                                                None)
                                    )
                                | ArgumentType.NumberList, Some(a, other) ->
                                    report (typeMismatch a.Value.Range "a list of numbers" (describe other))
                                    failed <- true
                                    None
                                | _ -> None)

                        let fitWeights =
                            hyper |> List.exists (fun (n, s) -> n = "fit_weights" && constOf s = Some 1.0)

                        if isEnsemble then
                            if memberNames.IsEmpty && not failed then
                                report (missingArgument callRange "ensemble" "members")
                                failed <- true

                            match weights with
                            | Some(r, ws) when ws.Length <> memberNames.Length ->
                                report (weightCountMismatch r memberNames.Length ws.Length)
                                failed <- true
                            | None when not fitWeights && not memberNames.IsEmpty ->
                                report (missingArgument callRange "ensemble" "weights")
                                failed <- true
                            | _ -> ()
                        elif inputs.IsEmpty && not failed then
                            report (modelWithoutInputs callRange name.Name)
                            failed <- true

                        let label =
                            match learn with
                            | Some l when labels.Contains l.Name -> Some l.Name
                            | Some l ->
                                match globals.TryGetValue l.Name with
                                | true, (GUnreadable, _) -> ()
                                | true, _ -> report (learnNotALabel l.Range l.Name)
                                | _ -> report (unknownName l.Range l.Name (suggest l.Name labels))

                                failed <- true
                                None
                            | None ->
                                if not isEnsemble || fitWeights then
                                    report (modelWithoutLabel name.Range name.Name)
                                    failed <- true

                                None

                        let training =
                            match train with
                            | Some(Expr.Call(scheme, targs, trange)) ->
                                match ModelCatalogue.FindTrainingScheme scheme.Name with
                                | null ->
                                    report (
                                        unknownTrainingScheme
                                            scheme.Range
                                            scheme.Name
                                            (suggest
                                                scheme.Name
                                                (ModelCatalogue.TrainingSchemes |> Seq.map (fun s -> s.Name)))
                                    )

                                    failed <- true
                                    None
                                | config ->
                                    let tvalues, tok =
                                        bindConfig
                                            config
                                            (rootCtx $"the training of model '%s{name.Name}'")
                                            trange
                                            targs

                                    let lengths =
                                        tvalues
                                        |> List.map (fun (p, v) ->
                                            match v with
                                            | Some(a, value) -> toWindow p.Name 0.0 a.Value.Range value
                                            | None ->
                                                p.Default
                                                |> Option.ofNullable
                                                |> Option.map (fun d -> ScalarConst d.Number :> ScalarExpr))

                                    if not tok || lengths |> List.exists Option.isNone then
                                        failed <- true
                                        None
                                    else
                                        let l = lengths |> List.map Option.get

                                        let scheme =
                                            if config.Name = "expanding" then
                                                TrainingScheme.Expanding
                                            else
                                                TrainingScheme.WalkForward

                                        Some(TrainingSpec(scheme, l[0], l[1], l[2], l[3], l[4], l[5]))
                            | Some other ->
                                report (
                                    typeMismatch
                                        other.Range
                                        "a training scheme such as walk_forward(train: 750, test: 250)"
                                        (Print.expr other |> sprintf "'%s'")
                                )

                                failed <- true
                                None
                            | None ->
                                if not isEnsemble || fitWeights then
                                    report (modelWithoutTraining name.Range name.Name)
                                    failed <- true

                                None

                        if failed then
                            None
                        else
                            Some
                                {
                                    Name = name.Name
                                    Kind = config.Name
                                    Inputs = inputs
                                    Label = label
                                    Hyperparameters = hyper
                                    Training = training
                                    Members =
                                        (match weights with
                                         | Some(_, ws) -> List.zip memberNames ws
                                         | None ->
                                             memberNames
                                             |> List.map (fun m ->
                                                 m, ScalarConst(1.0 / float memberNames.Length) :> ScalarExpr))
                                    FitWeights = fitWeights
                                    Range = range
                                }
                | other ->
                    report (typeMismatch other.Range "a model such as lstm(inputs: [...])" $"'%s{Print.expr other}'")
                    None
            | _ -> None)

    // order models so that every model comes after the models it reads
    let orderedModels =
        let byName = models |> List.map (fun m -> m.Name, m) |> Map.ofList

        let rec refs (s: Series) =
            match s with
            | Series.ModelOutput(m, _) -> [ m ]
            | Series.Op(_, inputs, _, _) -> inputs |> List.collect refs
            | _ -> []

        let namedSeries = named |> List.map (fun (n, _, s, _) -> n, s) |> Map.ofList

        let labelRefs (m: CheckedModel) =
            m.Label
            |> Option.bind (fun l -> namedSeries.TryFind l)
            |> Option.map refs
            |> Option.defaultValue []

        let deps (m: CheckedModel) =
            (m.Inputs |> List.collect (fst >> refs))
            @ (m.Members |> List.map fst)
            @ labelRefs m
            |> List.distinct
            |> List.filter byName.ContainsKey

        let visited = HashSet<string>()
        let stack = ResizeArray<string>()
        let order = ResizeArray<CheckedModel>()

        let rec visit (m: CheckedModel) =
            if stack.Contains m.Name then
                let cycle =
                    (stack |> Seq.skipWhile (fun n -> n <> m.Name) |> List.ofSeq) @ [ m.Name ]

                report (circularDefinition m.Range cycle)
            elif visited.Add m.Name then
                stack.Add m.Name

                for d in deps m do
                    visit byName[d]

                stack.Remove m.Name |> ignore
                order.Add m

        for m in models do
            visit m

        List.ofSeq order

    // portfolio
    let portfolioCtx = rootCtx "the portfolio"

    let seriesIn (ctx: Ctx) (e: Expr) =
        let v = eval ctx e
        requireSafe ctx v
        asSeries e.Range v |> Option.map fst

    let positiveWhole (what: string) (ctx: Ctx) (e: Expr) = toWindow what 1.0 e.Range (eval ctx e)

    let numberIn (ctx: Ctx) (name: string) (e: Expr) =
        toScalar (ArgumentSpec(name, ArgumentType.Number)) e.Range (eval ctx e)

    // a setting whose value no run can use (a fee of 1e308%, a gross of 1e300) is refused with its range
    let numberWithin (ctx: Ctx) (name: string) (lowest: float) (highest: float) (percent: bool) (e: Expr) =
        numberIn ctx name e
        |> Option.bind (fun s ->
            let show (x: float) =
                if percent then
                    formatNumber (x * 100.0) + "%"
                else
                    formatNumber x

            match firstBad (fun x -> x >= lowest && x <= highest) s with
            | Some x ->
                report (outsideRange e.Range $"'%s{name}'" (show lowest) (show highest) (show x) None)
                None
            | None -> Some s)

    let portfolioDecls =
        decls
        |> List.choose (fun d ->
            match d with
            | Decl.Portfolio(items, r) -> Some(items, r)
            | _ -> None)

    for (_, r) in portfolioDecls |> List.skip (min 1 portfolioDecls.Length) do
        report (repeatedStatement r "portfolio" (snd portfolioDecls.Head))

    if portfolioDecls.IsEmpty && not hasSyntaxErrors then
        report (missingStatement fileStart "portfolio" "portfolio long top 5 by score, short bottom 5 by score")

    let items =
        portfolioDecls |> List.tryHead |> Option.map fst |> Option.defaultValue []

    let legs =
        items
        |> List.choose (fun item ->
            let side s =
                match s with
                | Syntax.Side.Long -> StrategyLab.Runtime.Plan.Side.Long
                | Syntax.Side.Short -> StrategyLab.Runtime.Plan.Side.Short

            match item with
            | PortfolioItem.Rank(s, top, n, by, _) ->
                match positiveWhole "the number of assets" portfolioCtx n, seriesIn portfolioCtx by with
                | Some count, Some signal -> Some(Leg.Rank(side s, top, count, signal))
                | _ -> None
            | PortfolioItem.Quantile(s, q, bins, by, _) ->
                match
                    positiveWhole "the quantile" portfolioCtx q,
                    positiveWhole "the number of quantiles" portfolioCtx bins,
                    seriesIn portfolioCtx by
                with
                | Some q, Some b, Some signal -> Some(Leg.Quantile(side s, q, b, signal))
                | _ -> None
            | PortfolioItem.Threshold(s, entry, exit, _) ->
                let e = seriesIn portfolioCtx entry
                let x = exit |> Option.map (seriesIn portfolioCtx)

                match e, x with
                | Some e, Some(Some x) -> Some(Leg.Threshold(side s, e, Some x))
                | Some e, None -> Some(Leg.Threshold(side s, e, None))
                | _ -> None
            | _ -> None)

    let hasLegs =
        items
        |> List.exists (fun i ->
            match i with
            | PortfolioItem.Rank _
            | PortfolioItem.Quantile _
            | PortfolioItem.Threshold _ -> true
            | _ -> false)

    match portfolioDecls with
    | (_, r) :: _ when not hasLegs -> report (portfolioWithoutLegs r)
    | _ -> ()

    let choiceOf (statement: string) (id: Ident) (choices: (string * 'a) list) : 'a option =
        match choices |> List.tryFind (fun (n, _) -> n = id.Name) with
        | Some(_, v) -> Some v
        | None ->
            report (unknownSetting id.Range statement id.Name (suggest id.Name (choices |> List.map fst)))
            None

    let mutable weighting = Weighting.Equal
    let mutable scope = QuantileScope.Timestamp
    let exposures = Dictionary<string, ScalarExpr>()

    for item in items do
        match item with
        | PortfolioItem.Weight(id, _) ->
            choiceOf "portfolio weight" id [ "equal", Weighting.Equal; "proportional", Weighting.Proportional ]
            |> Option.iter (fun w -> weighting <- w)
        | PortfolioItem.Scope(id, _) ->
            choiceOf "quantile scope" id [ "timestamp", QuantileScope.Timestamp; "date", QuantileScope.Date ]
            |> Option.iter (fun s -> scope <- s)
        | PortfolioItem.Exposure(id, value, _) ->
            match choiceOf "portfolio" id [ "gross", "gross"; "net", "net"; "leverage", "leverage" ] with
            | Some key when exposures.ContainsKey key -> report (repeatedSetting id.Range key)
            | Some key ->
                let lowest = if key = "net" then -maxExposure else 0.0

                numberWithin portfolioCtx key lowest maxExposure false value
                |> Option.iter (fun s -> exposures[key] <- s)
            | None -> ()
        | _ -> ()

    let exposure key =
        match exposures.TryGetValue key with
        | true, v -> Some v
        | _ -> None

    // rebalance
    let rebalance =
        single "rebalance" (fun d ->
            match d with
            | Decl.Rebalance(every, keep, _) -> Some(every, keep)
            | _ -> None)

    let rebalanceCtx = rootCtx "the rebalance rule"

    // a period written as a duration (every 1w) starts on the calendar, a count of bars from the first bar
    let rebalanceEvery, rebalanceCalendar, keepWithin =
        match rebalance with
        | Some(every, keep) ->
            let period = every |> Option.map (fun e -> e, eval rebalanceCtx e)

            period |> Option.bind (fun (e, v) -> toWindow "every" 1.0 e.Range v),
            (match period with
             | Some(_, VScalar(_, Duration)) -> true
             | _ -> false),
            keep
            |> Option.bind (fun k ->
                toScalar (ArgumentSpec("within", ArgumentType.Integer, Min = 0.0)) k.Range (eval rebalanceCtx k))
        | None -> None, false, None

    // settings of costs, risk and execution
    let clausesOf keyword =
        single keyword (fun d ->
            match d with
            | Decl.Costs(cs, _) when keyword = "costs" -> Some cs
            | Decl.Risk(cs, _) when keyword = "risk" -> Some cs
            | Decl.Execution(cs, _) when keyword = "execution" -> Some cs
            | Decl.Exits(cs, _) when keyword = "exits" -> Some cs
            | _ -> None)

    let settingsCtx where = rootCtx where

    let uniqueKeys (cs: Clause list) =
        let keys = HashSet<string>()

        for c in cs do
            if not (keys.Add c.Key.Name) then
                report (repeatedSetting c.Key.Range c.Key.Name)

    let costs =
        clausesOf "costs"
        |> Option.map (fun cs ->
            uniqueKeys cs
            let ctx = settingsCtx "the costs"
            let values = Dictionary<string, ScalarExpr>()
            let mutable funding = None

            for c in cs do
                match c.Key.Name, c.Value with
                | ("fee" | "maker" | "taker" | "slippage"), Some v ->
                    // a maker fee may be a rebate; slippage only costs
                    let lowest = if c.Key.Name = "slippage" then 0.0 else -1.0

                    numberWithin ctx c.Key.Name lowest 1.0 true v
                    |> Option.iter (fun s -> values[c.Key.Name] <- s)
                | ("fee" | "maker" | "taker" | "slippage"), None ->
                    report (settingNeedsValue c.Key.Range c.Key.Name "a value such as 5 bps")
                | "funding", None -> funding <- Some "funding_rate"
                | "funding", Some(Expr.Name col) when columns.Contains col.Name -> funding <- Some col.Name
                | "funding", Some other ->
                    report (typeMismatch other.Range "a data column such as funding_rate" $"'%s{Print.expr other}'")
                | key, _ ->
                    report (
                        unknownSetting
                            c.Key.Range
                            "costs"
                            key
                            (suggest key [ "fee"; "maker"; "taker"; "slippage"; "funding" ])
                    )

            let get key fallback =
                match values.TryGetValue key with
                | true, v -> v
                | _ -> fallback

            let fee = get "fee" (ScalarConst 0.001)
            CostSpec(get "maker" fee, get "taker" fee, get "slippage" (ScalarConst 0.0), Option.toObj funding))

    let risk =
        clausesOf "risk"
        |> Option.map (fun cs ->
            uniqueKeys cs
            let ctx = settingsCtx "the risk limits"

            cs
            |> List.choose (fun c ->
                let kind =
                    choiceOf
                        "risk"
                        c.Key
                        [
                            "max_position", RiskLimitKind.MaxPosition
                            "daily_loss", RiskLimitKind.DailyLoss
                            "max_drawdown", RiskLimitKind.MaxDrawdown
                            "max_leverage", RiskLimitKind.MaxLeverage
                        ]

                let actions =
                    c.Actions
                    |> List.map (fun a ->
                        match a.Name with
                        | "flatten" -> Some RiskAction.Flatten
                        | "halt" -> Some RiskAction.Halt
                        | "stop" -> Some RiskAction.Stop
                        | other ->
                            report (unknownRiskAction a.Range other (suggest other [ "flatten"; "halt"; "stop" ]))
                            None)

                match kind, c.Value with
                | Some k, Some v when actions |> List.forall Option.isSome ->
                    let highest, percent =
                        match k with
                        | RiskLimitKind.DailyLoss
                        | RiskLimitKind.MaxDrawdown -> 1.0, true
                        | RiskLimitKind.MaxPosition -> maxExposure, true
                        | _ -> maxExposure, false

                    numberWithin ctx c.Key.Name 0.0 highest percent v
                    |> Option.map (fun t ->
                        RiskLimit(k, t, actions |> List.fold (fun acc a -> acc ||| a.Value) RiskAction.Clip))
                | Some _, None ->
                    report (settingNeedsValue c.Key.Range c.Key.Name "a limit such as 10%")
                    None
                | _ -> None))
        |> Option.defaultValue []

    let execution =
        clausesOf "execution"
        |> Option.map (fun cs ->
            uniqueKeys cs
            let ctx = settingsCtx "the execution policy"
            let mutable policy = "market", []
            let mutable minNotional = MinNotionalRule.Skip
            let mutable fill = FillTiming.NextOpen
            let mutable participation = None
            let mutable fallback = None

            for c in cs do
                match ModelCatalogue.FindExecutionPolicy c.Key.Name with
                | null ->
                    match c.Key.Name, c.Value with
                    | "min_notional", Some(Expr.Name v) ->
                        choiceOf "min_notional" v [ "skip", MinNotionalRule.Skip; "round_up", MinNotionalRule.RoundUp ]
                        |> Option.iter (fun r -> minNotional <- r)
                    | "fill", Some(Expr.Name v) ->
                        choiceOf "fill" v [ "next_open", FillTiming.NextOpen; "signal_close", FillTiming.SignalClose ]
                        |> Option.iter (fun f -> fill <- f)
                    | "fallback", Some(Expr.Name v) ->
                        choiceOf "fallback" v [ "market", true; "none", false ]
                        |> Option.iter (fun f -> fallback <- Some(f, c.Range))
                    | ("min_notional" | "fill" | "fallback"), _ ->
                        report (
                            settingNeedsValue
                                c.Key.Range
                                c.Key.Name
                                (match c.Key.Name with
                                 | "fill" -> "next_open or signal_close"
                                 | "fallback" -> "market or none"
                                 | _ -> "skip or round_up")
                        )
                    | "participation", Some v -> participation <- numberWithin ctx "participation" 0.0 1.0 true v
                    | "participation", None ->
                        report (settingNeedsValue c.Key.Range "participation" "a fraction of bar volume such as 10%")
                    | key, _ ->
                        let known =
                            [ "min_notional"; "fill"; "participation"; "fallback" ]
                            @ (ModelCatalogue.ExecutionPolicies |> Seq.map (fun p -> p.Name) |> List.ofSeq)

                        report (unknownSetting c.Key.Range "execution" key (suggest key known))
                | config ->
                    let values, ok = bindConfig config ctx c.Range (defaultArg c.Args [])

                    let converted =
                        values
                        |> List.map (fun (p, v) ->
                            match v with
                            | Some(a, value) -> p.Name, toScalar p a.Value.Range value
                            | None ->
                                p.Name,
                                p.Default
                                |> Option.ofNullable
                                |> Option.map (fun d -> ScalarConst d.Number :> ScalarExpr))

                    if ok && converted |> List.forall (snd >> Option.isSome) then
                        policy <- config.Name, converted |> List.map (fun (n, v) -> NamedArgument(n, v.Value))

            let name, args = policy

            // a market order has nothing to fall back from
            let marketFallback =
                match fallback with
                | Some(true, r) when name <> "limit_maker" ->
                    report (
                        settingNeedsPolicy
                            r
                            "fallback market"
                            "limit_maker"
                            "what a limit order's last quote leaves goes to market; market orders need no fallback"
                    )

                    false
                | Some(f, _) -> f
                | None -> false

            ExecutionSpec(
                name,
                ImmutableArray.CreateRange args,
                minNotional,
                fill,
                Option.toObj participation,
                marketFallback
            ))

    // per-position exits: fractions of the entry price, times in bars
    let exits =
        clausesOf "exits"
        |> Option.map (fun cs ->
            uniqueKeys cs
            let ctx = settingsCtx "the exits"
            let values = Dictionary<string, ScalarExpr>()
            let mutable roi = []

            let itemRange (item: ListItem) =
                match item with
                | ListItem.Item e
                | ListItem.Guarded(e, _) -> e.Range
                | ListItem.Span(range = r)
                | ListItem.Pair(range = r) -> r

            for c in cs do
                match c.Key.Name, c.Value with
                | ("stop_loss" | "trailing_stop"), Some v ->
                    numberWithin ctx c.Key.Name 0.0 1.0 true v
                    |> Option.iter (fun x -> values[c.Key.Name] <- x)
                | "take_profit", Some v ->
                    numberWithin ctx c.Key.Name 0.0 10.0 true v
                    |> Option.iter (fun x -> values[c.Key.Name] <- x)
                | ("max_hold" | "cooldown"), Some v ->
                    toWindow c.Key.Name 1.0 v.Range (eval ctx v)
                    |> Option.iter (fun x -> values[c.Key.Name] <- x)
                | "roi", Some(Expr.List(items, _)) ->
                    roi <-
                        items
                        |> List.choose (fun item ->
                            match item with
                            | ListItem.Pair(after, gain, _) ->
                                match
                                    toWindow "roi" 0.0 after.Range (eval ctx after),
                                    numberWithin ctx "roi" -1.0 10.0 true gain
                                with
                                | Some a, Some g -> Some(RoiRow(a, g))
                                | _ -> None
                            | other ->
                                report (
                                    typeMismatch (itemRange other) "a row such as 30m: 2%" "a value without its time"
                                )

                                None)
                | "roi", Some other ->
                    report (typeMismatch other.Range "a table such as [0: 4%, 30m: 2%]" (describe (eval ctx other)))
                | ("stop_loss" | "trailing_stop" | "take_profit"), None ->
                    report (settingNeedsValue c.Key.Range c.Key.Name "a share of the entry price such as 5%")
                | ("max_hold" | "cooldown"), None ->
                    report (settingNeedsValue c.Key.Range c.Key.Name "a time such as 48h, or a number of bars")
                | "roi", None -> report (settingNeedsValue c.Key.Range "roi" "a table such as [0: 4%, 30m: 2%]")
                | key, _ ->
                    report (
                        unknownSetting
                            c.Key.Range
                            "exits"
                            key
                            (suggest key [ "stop_loss"; "take_profit"; "trailing_stop"; "max_hold"; "roi"; "cooldown" ])
                    )

            let get key =
                match values.TryGetValue key with
                | true, v -> Some v
                | _ -> None
                |> Option.toObj

            ExitSpec(
                get "stop_loss",
                get "take_profit",
                get "trailing_stop",
                get "max_hold",
                ImmutableArray.CreateRange roi,
                get "cooldown"
            ))

    // universe
    let universeCtx = rootCtx "the universe"

    let universe: UniverseSpec =
        match
            single "universe" (fun d ->
                match d with
                | Decl.Universe(u, _) -> Some u
                | _ -> None)
        with
        | None
        | Some Universe.All -> AllAssetsUniverse()
        | Some(Universe.Top(n, by, every)) ->
            if not (columns.Contains by.Name) then
                report (unknownName by.Range by.Name (suggest by.Name columns))

            let count = positiveWhole "the universe size" universeCtx n

            let everyBars =
                every
                |> Option.bind (fun e -> toWindow "every" 1.0 e.Range (eval universeCtx e))

            TopUniverse(defaultArg count (ScalarConst 1.0), by.Name, Option.toObj everyBars)
        | Some(Universe.Symbols e) ->
            match eval universeCtx e with
            | VList items ->
                let symbols =
                    items
                    |> List.choose (fun i ->
                        match i.Value with
                        | VScalar(s, Text) when isConstant s -> textOf s
                        | VError -> None
                        | other ->
                            report (typeMismatch e.Range "a list of symbols such as [\"BTCUSDT\"]" (describe other))
                            None)

                FixedUniverse(ImmutableArray.CreateRange symbols)
            | VError -> AllAssetsUniverse()
            | other ->
                report (typeMismatch e.Range "all, top N by COLUMN, or a list of symbols" (describe other))
                AllAssetsUniverse()

    // every def body is checked once with its parameters unknown, so errors in unused defs are found too
    for d in decls do
        match d with
        | Decl.Def(name, ps, body, _) ->
            let rec names (e: Expr) : Ident list =
                match e with
                | Expr.Name id -> [ id ]
                | Expr.Call(_, args, _) -> args |> List.collect (fun a -> names a.Value)
                | Expr.Unary(_, x, _) -> names x
                | Expr.Binary(_, a, b, _) -> names a @ names b
                | Expr.Lag(x, n, _) -> names x @ names n
                | Expr.If(c, a, b, _) -> names c @ names a @ names b
                | Expr.List(items, _) ->
                    items
                    |> List.collect (fun i ->
                        match i with
                        | ListItem.Item e -> names e
                        | ListItem.Span(lo, hi, step, _) ->
                            names lo @ names hi @ (step |> Option.map names |> Option.defaultValue [])
                        | ListItem.Guarded(e, c) -> names e @ names c
                        | ListItem.Pair(k, v, _) -> names k @ names v)
                | Expr.For(body, v, src, _) -> (names body |> List.filter (fun i -> i.Name <> v.Name)) @ names src
                | _ -> []

            let bound = ps |> List.map (fun p -> p.Name) |> set

            for id in names body do
                if
                    not (bound.Contains id.Name)
                    && not (globals.ContainsKey id.Name)
                    && not (columns.Contains id.Name)
                then
                    report (
                        unknownName
                            id.Range
                            id.Name
                            (suggest
                                id.Name
                                (List.concat [ Set.toList bound; List.ofSeq globals.Keys; Set.toList columns ]))
                    )

            ignore name
        | _ -> ()

    if diagnostics.Count > 0 then
        Result.Error(
            diagnostics
            |> List.ofSeq
            |> List.sortBy (fun d ->
                d.Range.File <> program.File, d.Range.File, d.Range.Start.Line, d.Range.Start.Column)
        )
    else
        let name, description =
            match strategy with
            | Some(n, d) -> n.Name, defaultArg d ""
            | None -> "", ""

        Result.Ok
            {
                Name = name
                Description = description
                Dataset = dataset |> Option.map (fun d -> d.Name) |> Option.defaultValue ""
                Bar = bar |> Option.defaultValue (BarInterval("1d", 86400))
                Universe = universe
                Parameters = List.ofSeq parameters
                Named = named
                Models = orderedModels
                Legs = legs
                PortfolioRange =
                    (match portfolioDecls with
                     | (_, r) :: _ -> r
                     | [] -> fileStart)
                RebalanceRange =
                    decls
                    |> List.tryPick (fun d ->
                        match d with
                        | Decl.Rebalance(range = r) -> Some r
                        | _ -> None)
                Weighting = weighting
                Scope = scope
                Gross = exposure "gross"
                Net = exposure "net"
                Leverage = exposure "leverage"
                RebalanceEvery = rebalanceEvery
                RebalanceCalendar = rebalanceCalendar
                KeepWithinRank = keepWithin
                Costs = costs
                Risk = risk
                Execution = execution
                Exits = exits
            }
