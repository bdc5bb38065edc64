module StrategyLab.Strategy.Dsl.Explain

open System.Collections.Generic
open StrategyLab.Runtime.Plan

let rec scalar (expr: ScalarExpr) : string =
    let opText op =
        match op with
        | ScalarOp.Add -> "+"
        | ScalarOp.Subtract -> "-"
        | ScalarOp.Multiply -> "*"
        | ScalarOp.Divide -> "/"
        | ScalarOp.Power -> "^"
        | ScalarOp.Less -> "<"
        | ScalarOp.LessOrEqual -> "<="
        | ScalarOp.Greater -> ">"
        | ScalarOp.GreaterOrEqual -> ">="
        | ScalarOp.Equal -> "=="
        | ScalarOp.NotEqual -> "!="
        | ScalarOp.And -> "and"
        | ScalarOp.Or -> "or"
        | _ -> "?"

    let wrap (e: ScalarExpr) =
        match e with
        | :? ScalarBinary
        | :? ScalarIf -> "(" + scalar e + ")"
        | _ -> scalar e

    match expr with
    | :? ScalarConst as c -> Syntax.formatNumber c.Value
    | :? ScalarText as t -> "\"" + t.Value + "\""
    | :? ScalarParam as p -> p.Name
    | :? ScalarUnary as u -> (if u.Op = ScalarOp.Negate then "-" else "not ") + wrap u.Operand
    | :? ScalarBinary as b -> wrap b.Left + " " + opText b.Op + " " + wrap b.Right
    | :? ScalarIf as i -> "if " + scalar i.Condition + " then " + scalar i.Then + " else " + scalar i.Else
    | _ -> "?"

// ", searched when kind = \"ema\"": a flag's values as true and false, as the source writes them
let private condition (plan: StrategyPlan) (p: ParameterSpec) =
    match p.When with
    | null -> ""
    | w ->
        let flag =
            plan.Parameters
            |> Seq.exists (fun q -> q.Name = w.Parameter && q.Kind = ParameterKind.Boolean)

        let text (v: ScalarValue) =
            if flag then
                (if v.Number = 1.0 then "true" else "false")
            else
                string v

        match List.ofSeq w.Values with
        | [ v ] -> $", searched when %s{w.Parameter} = %s{text v}"
        | vs ->
            $", searched when %s{w.Parameter} in ["
            + System.String.Join(", ", vs |> List.map text)
            + "]"

let private percent (e: ScalarExpr) =
    match e with
    | :? ScalarConst as c -> Syntax.formatNumber (System.Math.Round(c.Value * 10000.0, 6)) + " bps"
    | other -> scalar other

let explain (plan: StrategyPlan) =
    let sb = System.Text.StringBuilder()

    let line (depth: int) (text: string) =
        sb.Append(' ', 2 * depth).Append(text).Append('\n') |> ignore

    let names = Dictionary<int, string>()

    for n in plan.Named do
        if not (names.ContainsKey n.Node) then
            names[n.Node] <- n.Name

    for m in plan.Models do
        if not (names.ContainsKey m.Output) then
            names[m.Output] <- m.Name

    let shown = HashSet<int>()

    let describe (n: SeriesNode) =
        match n with
        | :? ColumnNode as c -> "column " + c.Column
        | :? ConstantNode as k -> "constant " + scalar k.Value
        | :? OperatorNode as o ->
            let spec = OperatorCatalogue.Find o.Operator

            let args =
                match spec with
                | null -> o.Args |> Seq.map scalar |> List.ofSeq
                | s ->
                    Seq.zip s.ScalarParameters o.Args
                    |> Seq.map (fun (p, a) -> p.Name + ": " + scalar a)
                    |> List.ofSeq

            o.Operator
            + (if args.IsEmpty then
                   ""
               else
                   "(" + System.String.Join(", ", args) + ")")
        | :? ModelOutputNode as m -> "model " + m.Model
        | _ -> "?"

    let rec tree (depth: int) (id: int) =
        let n = plan.Nodes[id]

        let label =
            match names.TryGetValue id with
            | true, name -> $"#%d{id} %s{name} = %s{describe n}"
            | _ -> $"#%d{id} %s{describe n}"

        if not (shown.Add id) && not n.Dependencies.IsEmpty then
            line depth (label + " (above)")
        else
            line depth label

            match n with
            | :? ModelOutputNode -> ()
            | _ ->
                for d in n.Dependencies do
                    tree (depth + 1) d

    let description =
        if plan.Description = "" then
            ""
        else
            " - " + plan.Description

    line 0 $"strategy %s{plan.Name}%s{description}"

    let universe =
        match plan.Universe with
        | :? TopUniverse as t ->
            $"top %s{scalar t.Count} by %s{t.Column}"
            + (match t.EveryBars with
               | null -> ", re-selected at each rebalance"
               | e -> $", re-selected every %s{scalar e} bars")
        | :? FixedUniverse as f -> "[" + System.String.Join(", ", f.Symbols) + "]"
        | _ -> "all assets"

    line 1 $"data %s{plan.Dataset}, bar %s{plan.Bar.Text}, universe %s{universe}"
    line 1 ("columns " + System.String.Join(", ", plan.Columns))

    if not plan.Parameters.IsEmpty then
        line 1 "parameters"

        for p in plan.Parameters do
            let space =
                match p.Kind with
                | ParameterKind.Integer
                | ParameterKind.Real ->
                    let kind = if p.Kind = ParameterKind.Integer then "integer" else "real"

                    let step =
                        if p.Step.HasValue then
                            " by " + Syntax.formatNumber p.Step.Value
                        else
                            ""

                    $"%s{kind} %s{Syntax.formatNumber p.Min.Value}..%s{Syntax.formatNumber p.Max.Value}%s{step}"
                    + (if p.LogScale then " log" else "")
                | ParameterKind.Choice -> "one of " + System.String.Join(", ", p.Choices |> Seq.map string)
                | ParameterKind.Boolean -> "flag"
                | _ -> "fixed"

            line 2 ($"%s{p.Name} = %s{string p.Default}  %s{space}" + condition plan p)

    for m in plan.Models do
        line 1 $"model %s{m.Name}: %s{m.Kind} #%d{m.Output}"

        let hyper = m.Hyperparameters |> Seq.map (fun h -> h.Name + ": " + scalar h.Value)

        line 2 ("hyperparameters " + System.String.Join(", ", hyper))

        if m.Kind <> "ensemble" || m.FitWeights then
            let t = m.Training

            line
                2
                $"training %A{t.Scheme}: train %s{scalar t.Train}, test %s{scalar t.Test}, purge %s{scalar t.Purge}, embargo %s{scalar t.Embargo}, retrain every %s{scalar t.Retrain}, validation %s{scalar t.Validation} bars"

        if not m.Members.IsEmpty then
            let weights =
                if m.FitWeights then
                    " (weights fitted on validation data)"
                else
                    ""

            line
                2
                ("members "
                 + System.String.Join(", ", m.Members |> Seq.map (fun x -> x.Model + " * " + scalar x.Weight))
                 + weights)

        if m.Label.HasValue then
            line 2 "learns"
            tree 3 m.Label.Value

        if not m.Inputs.IsEmpty then
            line 2 "inputs"

            for i in m.Inputs do
                match i.EnabledWhen with
                | null -> tree 3 i.Node
                | flag ->
                    line 3 $"when %s{scalar flag}:"
                    tree 4 i.Node

    let signals =
        plan.Named |> Seq.filter (fun n -> n.Role = SeriesRole.Signal) |> List.ofSeq

    if not signals.IsEmpty then
        line 1 "signals"

        for s in signals do
            tree 2 s.Node

    line 1 "portfolio"

    for leg in plan.Portfolio.Legs do
        let side = if leg.Side = Side.Long then "long" else "short"

        match leg with
        | :? RankLeg as r ->
            line 2 $"""%s{side} %s{(if r.Top then "top" else "bottom")} %s{scalar r.Count} by"""
            tree 3 r.Signal
        | :? QuantileLeg as q ->
            line 2 $"%s{side} quantile %s{scalar q.Bucket} of %s{scalar q.Bins} by"
            tree 3 q.Signal
        | :? ThresholdLeg as t ->
            line 2 $"%s{side} when"
            tree 3 t.Entry

            if t.Exit.HasValue then
                line 2 "exit when"
                tree 3 t.Exit.Value
        | _ -> ()

    let p = plan.Portfolio

    line
        2
        ($"%A{p.Weighting} weight, quantile scope %A{p.Scope}, gross %s{scalar p.Gross}, leverage %s{scalar p.Leverage}"
         + (match p.Net with
            | null -> ""
            | n -> ", net " + scalar n))

    let r = plan.Rebalance

    line
        1
        ($"rebalance every %s{scalar r.EveryBars} bars"
         + (match r.KeepWithinRank with
            | null -> ", full turnover"
            | k -> ", keep a holding while its rank is within " + scalar k))

    let c = plan.Costs

    line
        1
        ($"costs maker %s{percent c.MakerFee}, taker %s{percent c.TakerFee}, slippage %s{percent c.Slippage}"
         + (match c.FundingColumn with
            | null -> ""
            | f -> ", funding from " + f))

    if not plan.Risk.IsEmpty then
        line 1 "risk"

        for l in plan.Risk do
            line 2 $"%A{l.Kind} %s{scalar l.Threshold} -> %A{l.Action}"

    let x = plan.Execution
    let args = x.Arguments |> Seq.map (fun a -> a.Name + ": " + scalar a.Value)

    let argText = System.String.Join(", ", args)

    line
        1
        ($"execution %s{x.Policy}(%s{argText}), min notional %A{x.MinNotional}, fill %A{x.Fill}"
         + (match x.Participation with
            | null -> ""
            | v -> ", participation " + scalar v)
         + (if x.MarketFallback then ", fallback market" else ""))

    match plan.Exits with
    | null -> ()
    | exits ->
        line 1 "exits"

        let share name (v: ScalarExpr | null) =
            match v with
            | null -> ()
            | v -> line 2 (name + " " + percent v)

        share "stop loss" exits.StopLoss
        share "take profit" exits.TakeProfit
        share "trailing stop" exits.TrailingStop

        match exits.MaxHoldBars with
        | null -> ()
        | v -> line 2 ("max hold " + scalar v + " bars")

        for row in exits.Roi do
            line 2 ("roi after " + scalar row.AfterBars + " bars " + percent row.Return)

        match exits.CooldownBars with
        | null -> ()
        | v -> line 2 ("cooldown " + scalar v + " bars")

    line 1 ("hash " + plan.ContentHash())
    sb.ToString()
