/// `strategylab train | advise`: a strategy's models trained walk-forward, and today's advice
module StrategyLab.Cli.ModelCommands

open System
open System.Collections.Generic
open System.Globalization
open System.IO
open Argu
open StrategyLab.Runtime.Data
open StrategyLab.Runtime.Evaluation
open StrategyLab.Runtime.Models.Training
open StrategyLab.Runtime.Plan
open StrategyLab.Cli.Output
open StrategyLab.Cli.ModelTraining
open StrategyLab.Cli.StrategyCommands

type TrainArgs =
    | [<MainCommand; Mandatory>] File of path: string
    | Retrain
    | Param of name_eq_value: string
    | Models of folder: string

    interface IArgParserTemplate with
        member a.Usage =
            match a with
            | File _ -> "the .strat file whose models to train"
            | Retrain -> "train every fold again, ignoring stored models"
            | Param _ -> "set a parameter, e.g. --param k=7 (repeatable; checked against its range)"
            | Models _ -> "the model store folder (default: models beside the data cache)"

type AdviseArgs =
    | [<MainCommand; Mandatory>] File of path: string
    | Retrain
    | Param of name_eq_value: string
    | Book of csv: string
    | At of date: string
    | Models of folder: string

    interface IArgParserTemplate with
        member a.Usage =
            match a with
            | File _ -> "the .strat file to take advice from"
            | At _ ->
                "advise at the last bar on or before this date, with only the data known then (default: the last bar)"
            | Retrain -> "train every fold again, ignoring stored models"
            | Param _ -> "set a parameter, e.g. --param k=7 (repeatable; checked against its range)"
            | Book _ -> "the current book as CSV lines symbol,weight (default: an empty book)"
            | Models _ -> "the model store folder (default: models beside the data cache)"

let private parameters (path: string) (plan: StrategyPlan) (given: string list) =
    let pairs = Dictionary<string, string>()

    for p in given do
        match p.Split('=', 2) with
        | [| k; v |] when k <> "" -> pairs[k] <- v
        | _ -> usageError $"--param: expected name=value, found '{p}'"

    refusedAs path (fun () -> RunOverrides(pairs), StrategyBacktest.ResolveParameters(plan, pairs))

let private time (ms: int64) =
    DateTimeOffset.FromUnixTimeMilliseconds(ms).UtcDateTime.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture)

// The last bar at which a top-N universe's ranking column has a value for some asset: a final bar
// without any (a gap at the end of the data) would leave nothing to hold there.
let private lastRankedBar (plan: StrategyPlan) (panel: Panel) =
    match plan.Universe with
    | :? TopUniverse as top when panel.HasColumn top.Column ->
        let values = panel.Column(top.Column).ToArray()
        let a = panel.AssetCount

        let ranked t =
            Seq.exists (fun i -> not (Double.IsNaN values[t * a + i])) (seq { 0 .. a - 1 })

        Seq.tryFind ranked (seq { panel.TimeCount - 1 .. -1 .. 0 })
        |> Option.map (fun t -> t, top.Column)
    | _ -> None

let private prepare
    (dataDir: string)
    (path: string)
    (given: string list)
    (retrain: bool)
    (models: string option)
    (at: int64 option)
    (ranked: bool)
    =
    let plan = compileFile path
    let data = DataCommands.openStore dataDir
    let whole = (DataCommands.load data plan.Dataset).Panel

    let panel =
        match at with
        | None when ranked ->
            match lastRankedBar plan whole with
            | Some(t, column) when t >= 1 && t < whole.TimeCount - 1 ->
                let last = whole.TimeCount - 1

                printLine (
                    $"note: the last bar ({time whole.Times[last]} UTC) has no {column} for any asset, so the universe would be empty there; "
                    + $"advising at {time whole.Times[t]} UTC, the last bar that has it (--at picks another)"
                )

                let cut = whole.Slice(0, t + 1)
                whole.Dispose()
                cut
            | _ -> whole
        | None -> whole
        | Some ms ->
            let next = whole.TimeIndexAtOrAfter(ms + 1L)

            if next < 2 then
                usageError $"--at: dataset '{plan.Dataset}' has fewer than 2 bars by then"

            let cut = whole.Slice(0, next)
            whole.Dispose()
            cut

    let overrides, values = parameters path plan given
    let store = modelStore data models
    let result = trainModels path plan panel values store retrain
    plan, panel, overrides, values, store, result

let train (dataDir: string) (args: ParseResults<TrainArgs>) =
    let path = args.GetResult TrainArgs.File

    let plan, panel, _, _, store, result =
        prepare
            dataDir
            path
            (args.GetResults TrainArgs.Param)
            (args.Contains TrainArgs.Retrain)
            (args.TryGetResult TrainArgs.Models)
            None
            false

    use _ = panel

    if plan.Models.IsEmpty then
        printLine $"{plan.Name} has no models to train"
    else
        table
            [ "model"; "fold"; "train"; "test"; "rows"; "fit"; "time"; "source" ]
            [
                for f in result.Folds ->
                    [
                        f.Model
                        $"{f.Fold + 1}/{f.Folds}"
                        $"{time panel.Times[f.TrainStart]} … {time panel.Times[f.TrainEnd - 1]}"
                        $"{time panel.Times[f.TestStart]} … {time panel.Times[f.TestEnd - 1]}"
                        string f.Rows
                        f.Metric
                        f.Elapsed.TotalSeconds.ToString("0.00s", CultureInfo.InvariantCulture)
                        (if f.Reused then "stored" else "trained")
                    ]
            ]

        for score in result.Scores do
            let value = score.Value.ToString("0.####", CultureInfo.InvariantCulture)

            printLine
                $"{score.Model}: out-of-sample {score.Measure} {value} over {score.Rows} predictions with a known label"

        for note in result.Notes do
            printLine ("note: " + note)

        let trained = result.Folds |> Seq.filter (fun f -> not f.Reused) |> Seq.length
        let reused = result.Folds.Count - trained
        printLine $"{plan.Name}: {trained} fold(s) trained, {reused} read from {store.Folder}"

/// Reads a book: lines `symbol,weight`; a first line that is not a number is a header
let private readBook (path: string) =
    let lines =
        try
            File.ReadAllLines path
        with
        | :? FileNotFoundException
        | :? DirectoryNotFoundException -> usageError $"--book {path}: no such file"
        | :? IOException as e -> failure $"--book {path}: {e.Message}"

    let book = Dictionary<string, float>(StringComparer.Ordinal)

    lines
    |> Array.iteri (fun i line ->
        if line.Trim() <> "" then
            match line.Split(',') with
            | [| symbol; weight |] ->
                match Double.TryParse(weight.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture) with
                | true, w ->
                    let key = symbol.Trim()

                    book[key] <-
                        (match book.TryGetValue key with
                         | true, x -> x
                         | _ -> 0.0)
                        + w
                | _ when i = 0 -> ()
                | _ -> usageError $"--book {path}({i + 1}): expected a weight, found '{weight}'"
            | _ -> usageError $"--book {path}({i + 1}): expected symbol,weight, found '{line}'")

    book

let private action (current: float) (target: float) =
    if current = 0.0 then
        if target > 0.0 then "open long" else "open short"
    elif target = 0.0 then
        "close"
    elif sign current <> sign target then
        if target > 0.0 then
            "reverse to long"
        else
            "reverse to short"
    elif abs target > abs current then
        "add"
    else
        "reduce"

let advise (dataDir: string) (args: ParseResults<AdviseArgs>) =
    let path = args.GetResult AdviseArgs.File

    let plan, panel, overrides, values, _, result =
        prepare
            dataDir
            path
            (args.GetResults AdviseArgs.Param)
            (args.Contains AdviseArgs.Retrain)
            (args.TryGetResult AdviseArgs.Models)
            (args.TryGetResult AdviseArgs.At |> Option.map (parseDate "--at"))
            true

    use _ = panel

    // the strategy's own bars: candles finer than its bar are aggregated, as training and backtests do
    let panel =
        refusedAs path (fun () -> StrategyBacktest.AtPlanBar(plan, panel, Collections.Generic.List()))

    let book =
        match args.TryGetResult AdviseArgs.Book with
        | Some b -> readBook b
        | None -> Dictionary<string, float>()

    for symbol in book.Keys do
        if panel.AssetIndex symbol < 0 then
            usageError $"--book: '{symbol}' is not an asset of dataset '{plan.Dataset}'"

    let targets =
        refusedAs path (fun () -> StrategyBacktest.LastTargets(plan, panel, overrides, result.Predictions))

    // each side's score: the signal of its first leg
    let signalOf (side: Side) =
        plan.Portfolio.Legs
        |> Seq.tryFind (fun l -> l.Side = side)
        |> Option.map (fun l ->
            match l with
            | :? RankLeg as r -> r.Signal
            | :? QuantileLeg as q -> q.Signal
            | :? ThresholdLeg as t -> t.Entry
            | _ -> failwith $"unknown leg {l.GetType().Name}")

    let signals = [ Side.Long; Side.Short ] |> List.choose signalOf |> List.distinct

    let evaluated =
        BatchEvaluator.Evaluate(plan, panel, values, signals, result.Predictions)

    let last = panel.TimeCount - 1
    let a = panel.AssetCount

    let scoreValue (side: Side) (asset: int) =
        match signalOf side with
        | Some s ->
            match evaluated[s] with
            | null -> nan
            | column -> column.[last * a + asset]
        | None -> nan

    let score side asset =
        let x = scoreValue side asset
        if Double.IsNaN x then "" else formatNumber x

    printLine $"{plan.Name}: advice for the bar of {time panel.Times[last]} UTC"

    let held =
        [ 0 .. a - 1 ]
        |> List.filter (fun i -> targets[i] <> 0.0 && not (Double.IsNaN targets[i]))
        // longs first, each side from its strongest score
        |> List.sortBy (fun i ->
            if targets[i] > 0.0 then
                (0, -(scoreValue Side.Long i))
            else
                (1, scoreValue Side.Short i))

    if held.IsEmpty then
        let scored =
            signals
            |> List.sumBy (fun s ->
                match evaluated[s] with
                | null -> 0
                | column ->
                    Seq.init a (fun i -> column.[last * a + i])
                    |> Seq.filter Double.IsFinite
                    |> Seq.length)

        printLine
            $"no positions recommended ({scored} score(s) at this bar; an asset needs a score and a place in the universe)"
    else
        table
            [ "side"; "symbol"; "target weight"; "score" ]
            [
                for i in held ->
                    let side = if targets[i] > 0.0 then Side.Long else Side.Short

                    [
                        (if side = Side.Long then "long" else "short")
                        panel.Symbols[i]
                        targets[i].ToString("0.####", CultureInfo.InvariantCulture)
                        score side i
                    ]
            ]

    let changes =
        [
            for i in 0 .. a - 1 do
                let symbol = panel.Symbols[i]

                let current =
                    match book.TryGetValue symbol with
                    | true, x -> x
                    | _ -> 0.0

                let target = if Double.IsNaN targets[i] then 0.0 else targets[i]

                if abs (target - current) > 1e-12 then
                    yield
                        [
                            symbol
                            current.ToString("0.####", CultureInfo.InvariantCulture)
                            target.ToString("0.####", CultureInfo.InvariantCulture)
                            (target - current).ToString("+0.####;-0.####", CultureInfo.InvariantCulture)
                            action current target
                        ]
        ]

    if changes.IsEmpty then
        printLine "the book already holds the targets"
    else
        printLine "changes against the current book:"
        table [ "symbol"; "current"; "target"; "change"; "action" ] changes

    for note in result.Notes do
        printLine ("note: " + note)

type PruneArgs =
    | [<MainCommand; Mandatory>] Files of path: string list
    | Models of folder: string
    | Dry_Run

    interface IArgParserTemplate with
        member a.Usage =
            match a with
            | Files _ -> "the .strat files whose stored models to keep"
            | Models _ -> "the model store folder (default: models beside the data cache)"
            | Dry_Run -> "list what would be deleted and delete nothing"

type ModelsArgs =
    | [<CliPrefix(CliPrefix.None)>] Prune of ParseResults<PruneArgs>

    interface IArgParserTemplate with
        member a.Usage =
            match a with
            | Prune _ -> "delete the stored models of every plan but those of the given strategies"

let private size (bytes: int64) =
    let inv = CultureInfo.InvariantCulture

    if bytes < 1000L then
        $"{bytes} B"
    elif bytes < 1_000_000L then
        (float bytes / 1e3).ToString("0.0", inv) + " kB"
    else
        (float bytes / 1e6).ToString("0.0", inv) + " MB"

let private strategyOf (plan: StoredPlan) =
    plan.Strategy |> Option.ofObj |> Option.defaultValue "(not recorded)"

let private named (plan: StoredPlan) =
    match Option.ofObj plan.Strategy with
    | Some s -> $"{plan.Name} ({s})"
    | None -> $"{plan.Name} (strategy not recorded)"

let private holder (state: LockState) =
    let since =
        if state.Since.HasValue then
            $", started {time (state.Since.Value.ToUnixTimeMilliseconds())} UTC"
        else
            ""

    if state.Process.HasValue then
        $"process {state.Process.Value}{since}"
    else
        "a process that did not sign it"

// one row per fold file: where the plan came from, what each file holds and its size
let private foldRows (plan: StoredPlan) =
    let row model fold trained predicts bytes =
        [ plan.Name; strategyOf plan; model; fold; trained; predicts; size bytes ]

    if plan.Folds.Count = 0 then
        [ row "(no fold files)" "" "" "" plan.Bytes ]
    else
        [
            for f in plan.Folds ->
                match Option.ofObj f.Problem with
                | None ->
                    let predicts =
                        if f.TestFirstMs.HasValue && f.TestLastMs.HasValue then
                            $"{time f.TestFirstMs.Value} … {time f.TestLastMs.Value}"
                        else
                            "(not recorded)"

                    row f.Model (string (f.Fold + 1)) $"{time f.TrainFirstMs} … {time f.TrainLastMs}" predicts f.Bytes
                | Some problem -> row (string (Path.GetFileName f.Path)) "" problem "" f.Bytes
        ]

/// `models prune FILE...`: a changed strategy trains under a new plan hash and leaves its old folds
/// behind; this keeps the folders of the given strategies' plans and deletes the other plans' folders,
/// but never one that a training (in any process) holds
let prune (dataDir: string) (args: ParseResults<PruneArgs>) =
    let keep =
        args.GetResult PruneArgs.Files
        |> List.map (fun path -> (compileFile path).ContentHash())

    let store =
        match args.TryGetResult PruneArgs.Models with
        | Some folder -> ModelStore folder
        | None -> modelStore (DataCommands.openStore dataDir) None

    let dryRun = args.Contains PruneArgs.Dry_Run

    let result =
        try
            store.Prune(keep, dryRun)
        with :? ModelStoreException as e ->
            failure e.Message

    let verb = if dryRun then "would delete" else "deleted"

    if result.Deleted.Count > 0 then
        table
            [ "plan"; "strategy"; "model"; "fold"; "trained on"; "predicts"; "size" ]
            (result.Deleted |> Seq.collect foldRows)

    for plan in result.Deleted do
        let stale =
            if plan.Lock.Kind = LockKind.Stale then
                $"; its lock was left by {holder plan.Lock}, which ended while training"
            else
                ""

        printLine $"{verb} {named plan}: {plan.Files} file(s), {size plan.Bytes}{stale}"

    for plan in result.InUse do
        printLine $"kept {named plan}: a training is using it ({holder plan.Lock})"

    let inUse =
        if result.InUse.Count > 0 then
            $" ({result.InUse.Count} in use by a training)"
        else
            ""

    printLine
        $"{store.Folder}: {verb} {result.Deleted.Count} plan(s), {size (result.Deleted |> Seq.sumBy _.Bytes)}; {result.Kept.Count + result.InUse.Count} plan(s) kept{inUse}"
