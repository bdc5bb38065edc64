module StrategyLab.Strategy.Dsl.Lower

open System.Collections.Generic
open System.Collections.Immutable
open StrategyLab.Runtime.Plan
open StrategyLab.Strategy.Dsl.Diagnostics
open StrategyLab.Strategy.Dsl.Check

let lower (``checked``: Checked) : Result<StrategyPlan, Diagnostic list> =
    let c = ``checked``
    let nodes = ResizeArray<SeriesNode>()
    let index = Dictionary<string, int>()
    let sourceMap = Dictionary<int, SourceLocation>()
    let models = c.Models |> List.map (fun m -> m.Name, m) |> Map.ofList
    let modelOutputs = Dictionary<string, int>()
    let modelSpecs = ResizeArray<ModelSpec>()

    let namedSeries = c.Named |> List.map (fun (n, _, s, _) -> n, s) |> Map.ofList

    let intern (key: string) (range: Range option) (make: int -> SeriesNode) =
        match index.TryGetValue key with
        | true, id -> id
        | _ ->
            let id = nodes.Count
            nodes.Add(make id)
            index[key] <- id

            range
            |> Option.iter (fun r -> sourceMap[id] <- SourceLocation(r.File, r.Start.Line, r.Start.Column))

            id

    let scalarKey (s: ScalarExpr) = s.ToString()

    // a let's series is one shared object wherever it is used: lowering it once keeps lowering linear
    let lowered = Dictionary<Series, int>(HashIdentity.Reference)

    let rec node (s: Series) : int =
        match lowered.TryGetValue s with
        | true, id -> id
        | _ ->
            let id = lowerNode s
            lowered[s] <- id
            id

    and lowerNode (s: Series) : int =
        match s with
        | Series.Column(name, r) -> intern ("column|" + name) (Some r) (fun id -> ColumnNode(id, name))
        | Series.Constant v -> intern ("constant|" + scalarKey v) None (fun id -> ConstantNode(id, v))
        | Series.Op(name, inputs, args, r) ->
            let ids = inputs |> List.map node

            let key =
                name
                + "|"
                + System.String.Join(",", ids)
                + "|"
                + System.String.Join(";", args |> List.map scalarKey)

            intern key (Some r) (fun id ->
                OperatorNode(id, name, ImmutableArray.CreateRange ids, ImmutableArray.CreateRange args))
        | Series.ModelOutput(m, _) -> model m

    and model (name: string) : int =
        match modelOutputs.TryGetValue name with
        | true, id -> id
        | _ ->
            let m = models[name]

            let inputs =
                m.Inputs |> List.map (fun (s, guard) -> ModelInput(node s, Option.toObj guard))

            let label = m.Label |> Option.bind namedSeries.TryFind |> Option.map node
            let members = m.Members |> List.map (fun (n, w) -> EnsembleMember(n, w))
            let memberIds = m.Members |> List.map (fst >> model)

            let deps =
                (inputs |> List.map (fun i -> i.Node)) @ Option.toList label @ memberIds
                |> List.distinct
                |> List.sort

            let id =
                intern ("model|" + name) (Some m.Range) (fun id ->
                    ModelOutputNode(id, name, ImmutableArray.CreateRange deps))

            modelOutputs[name] <- id

            let training =
                match m.Training with
                | Some t when
                    (match t.Retrain with
                     | :? ScalarConst as r -> r.Value = 0.0
                     | _ -> false)
                    ->
                    TrainingSpec(t.Scheme, t.Train, t.Test, t.Purge, t.Embargo, t.Test, t.Validation)
                | Some t -> t
                | None ->
                    let zero = ScalarConst 0.0
                    TrainingSpec(TrainingScheme.WalkForward, zero, zero, zero, zero, zero, zero)

            modelSpecs.Add(
                ModelSpec(
                    name,
                    m.Kind,
                    ImmutableArray.CreateRange inputs,
                    Option.toNullable label,
                    ImmutableArray.CreateRange(m.Hyperparameters |> List.map (fun (n, v) -> NamedArgument(n, v))),
                    training,
                    ImmutableArray.CreateRange members,
                    m.FitWeights,
                    id
                )
            )

            id

    let named =
        c.Named |> List.map (fun (n, role, s, _) -> NamedSeries(n, role, node s))

    for m in c.Models do
        model m.Name |> ignore

    let diagnostics = ResizeArray<Diagnostic>()

    let legs =
        c.Legs
        |> List.map (fun leg ->
            match leg with
            | Leg.Rank(side, top, count, by) -> RankLeg(side, top, count, node by) :> LegSpec
            | Leg.Quantile(side, bucket, bins, by) ->
                match bucket, bins with
                | (:? ScalarConst as q), (:? ScalarConst as b) when q.Value > b.Value ->
                    diagnostics.Add(
                        quantileOutOfRange c.PortfolioRange (Syntax.formatNumber q.Value) (Syntax.formatNumber b.Value)
                    )
                | _ -> ()

                QuantileLeg(side, bucket, bins, node by)
            | Leg.Threshold(side, entry, exit) ->
                ThresholdLeg(side, node entry, exit |> Option.map node |> Option.toNullable))

    // a quantile leg holds the assets in one bucket of its signal: the plan carries those bucket
    // numbers as a series of its own, so every evaluator computes them block by block with the rest
    let scope =
        ScalarText(if c.Scope = QuantileScope.Date then "date" else "timestamp") :> ScalarExpr

    for leg in legs do
        match leg with
        | :? QuantileLeg as q ->
            let args = [ q.Bins; scope ]

            let key =
                $"xs_quantile|{q.Signal}|" + System.String.Join(";", args |> List.map scalarKey)

            intern key None (fun id ->
                OperatorNode(id, "xs_quantile", ImmutableArray.Create q.Signal, ImmutableArray.CreateRange args))
            |> ignore
        | _ -> ()

    match c.KeepWithinRank, c.RebalanceRange with
    | Some _, Some r when not (legs |> List.exists (fun l -> l :? RankLeg)) -> diagnostics.Add(keepWithoutRankLeg r)
    | _ -> ()

    if diagnostics.Count > 0 then
        Result.Error(List.ofSeq diagnostics)
    else
        let universeColumns =
            match c.Universe with
            | :? TopUniverse as t -> [ t.Column ]
            | _ -> []

        let columns =
            Seq.append
                (nodes
                 |> Seq.choose (fun n ->
                     match n with
                     | :? ColumnNode as col -> Some col.Column
                     | _ -> None))
                universeColumns
            |> Seq.distinct

        let one = ScalarConst 1.0 :> ScalarExpr

        Result.Ok(
            StrategyPlan(
                c.Name,
                c.Description,
                c.Dataset,
                c.Bar,
                c.Universe,
                ImmutableArray.CreateRange c.Parameters,
                ImmutableArray.CreateRange nodes,
                ImmutableArray.CreateRange named,
                ImmutableArray.CreateRange modelSpecs,
                PortfolioSpec(
                    ImmutableArray.CreateRange legs,
                    c.Weighting,
                    c.Scope,
                    defaultArg c.Gross one,
                    Option.toObj c.Net,
                    defaultArg c.Leverage one
                ),
                RebalanceSpec(defaultArg c.RebalanceEvery one, Option.toObj c.KeepWithinRank, c.RebalanceCalendar),
                defaultArg c.Costs CostSpec.Default,
                ImmutableArray.CreateRange c.Risk,
                defaultArg c.Execution ExecutionSpec.Default,
                ImmutableArray.CreateRange columns,
                sourceMap.ToImmutableDictionary(),
                Option.toObj c.Exits
            )
        )
