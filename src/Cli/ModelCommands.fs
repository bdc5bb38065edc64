/// `strategylab train | advise`: a strategy's models trained walk-forward, and today's advice
module StrategyLab.Cli.ModelCommands

open System
open System.Collections.Generic
open System.Globalization
open System.IO
open Argu
open StrategyLab.Runtime.Data
open StrategyLab.Runtime.Models.Training
open StrategyLab.Runtime.Runs
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

let private time (ms: int64) =
    DateTimeOffset.FromUnixTimeMilliseconds(ms).UtcDateTime.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture)

// the strategy bound to its data (cut to the advised bar's when asked), its parameters and models
let private prepare
    (dataDir: string)
    (path: string)
    (given: string list)
    (retrain: bool)
    (models: string option)
    (cut: StrategyPlan -> Panel -> Panel)
    =
    let plan = compileFile path
    let store, panel, run = prepareRun dataDir path plan (cut plan)
    let parameters = refusedAs path (fun () -> run.Parse(parseParams given))
    let modelStore = modelStore store models
    let result = trainModels path run parameters modelStore retrain
    plan, panel, run, parameters, modelStore, result

let train (dataDir: string) (args: ParseResults<TrainArgs>) =
    let path = args.GetResult TrainArgs.File

    let plan, data, prepared, _, store, result =
        prepare
            dataDir
            path
            (args.GetResults TrainArgs.Param)
            (args.Contains TrainArgs.Retrain)
            (args.TryGetResult TrainArgs.Models)
            (fun _ panel -> panel)

    use _ = data
    use run = prepared
    let panel = run.Panel

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

let advise (dataDir: string) (args: ParseResults<AdviseArgs>) =
    let path = args.GetResult AdviseArgs.File
    let at = args.TryGetResult AdviseArgs.At |> Option.map (parseDate "--at")

    // only the data known at the advised bar: training and targets read nothing after it
    let cut (plan: StrategyPlan) (panel: Panel) =
        let bars, note =
            refusedAs path (fun () -> Advisor.Bars(plan, panel, Option.toNullable at))
            |> fun struct (b, n) -> b, n

        match note with
        | null -> ()
        | n -> printLine ("note: " + n)

        if bars = panel.TimeCount then
            panel
        else
            let part = panel.Slice(0, bars)
            panel.Dispose()
            part

    let book =
        match args.TryGetResult AdviseArgs.Book with
        | Some b -> readBook b
        | None -> Dictionary<string, float>()

    let plan, data, prepared, parameters, _, result =
        prepare
            dataDir
            path
            (args.GetResults AdviseArgs.Param)
            (args.Contains AdviseArgs.Retrain)
            (args.TryGetResult AdviseArgs.Models)
            cut

    use _ = data
    use run = prepared

    let advice =
        try
            Advisor.Advise(run, parameters, book, result)
        with :? StrategyLab.Runtime.Evaluation.PlanException as e when e.Message.StartsWith "--book" ->
            usageError e.Message

    printLine $"{plan.Name}: advice for the bar of {time advice.BarTime} UTC"

    let score (x: float) =
        if Double.IsNaN x then "" else formatNumber x

    if advice.Positions.Count = 0 then
        printLine
            $"no positions recommended ({advice.ScoredAssets} score(s) at this bar; an asset needs a score and a place in the universe)"
    else
        table
            [ "side"; "symbol"; "target weight"; "score" ]
            [
                for p in advice.Positions ->
                    [
                        (if p.Side = Side.Long then "long" else "short")
                        p.Symbol
                        p.Weight.ToString("0.####", CultureInfo.InvariantCulture)
                        score p.Score
                    ]
            ]

    if advice.Changes.Count = 0 then
        printLine "the book already holds the targets"
    else
        printLine "changes against the current book:"

        table
            [ "symbol"; "current"; "target"; "change"; "action" ]
            [
                for c in advice.Changes ->
                    [
                        c.Symbol
                        c.Current.ToString("0.####", CultureInfo.InvariantCulture)
                        c.Target.ToString("0.####", CultureInfo.InvariantCulture)
                        c.Change.ToString("+0.####;-0.####", CultureInfo.InvariantCulture)
                        c.Action
                    ]
            ]

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
