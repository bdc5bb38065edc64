/// `strategylab sweep` (every combination of a grid of parameters, in parallel, ranked by an objective),
/// `strategylab optimize` (a study: a sampler's search of the declared ranges) and `strategylab study`
module StrategyLab.Cli.SearchCommands

open System
open System.IO
open System.Threading
open Argu
open StrategyLab.Runtime.Runs
open StrategyLab.Runtime.Search
open StrategyLab.Runtime.Search.Storage
open StrategyLab.Runtime.Search.Reports
open StrategyLab.Cli.Output
open StrategyLab.Cli.StrategyCommands

type SweepArgs =
    | [<MainCommand; Mandatory>] File of path: string
    | [<Mandatory>] Grid of name_eq_values: string
    | Jobs of count: int
    | Objective of metric: string
    | Accounting of kind: string
    | Param of name_eq_value: string
    | From of date: string
    | To of date: string
    | Fee of bps: float
    | Capital of quote: float
    | Top of rows: int
    | Out of folder: string
    | Json

    interface IArgParserTemplate with
        member a.Usage =
            match a with
            | File _ -> "the .strat file to sweep"
            | Grid _ ->
                "a parameter and its values: k=3..10 (by the declared step, or 1), w=0.1..0.5:0.1, lookback=10,20,40 (repeatable)"
            | Jobs _ -> "trials at a time (default: every core)"
            | Objective _ ->
                "the metric that ranks the trials, in its own direction (default sharpe): "
                + (TrialMetrics.Known |> Seq.map _.Name |> String.concat ", ")
            | Accounting _ -> RunOptionUsage.accounting
            | Param _ -> "set a parameter that is not swept, e.g. --param k=7 (repeatable)"
            | From _ -> RunOptionUsage.from
            | To _ -> RunOptionUsage.until
            | Fee _ -> RunOptionUsage.fee
            | Capital _ -> RunOptionUsage.capital
            | Top _ -> "rows of the terminal table (default 20)"
            | Out _ -> "the sweep folder (default runs/<strategy>-sweep-<time>)"
            | Json -> "print one JSON document (the sweep) on standard output; the text goes to standard error"

let private accounting (text: string option) =
    match text with
    | None
    | Some "ledger" -> Accounting.Ledger
    | Some "weights" -> Accounting.Weights
    | Some other -> usageError $"--accounting: expected ledger or weights, found '{other}'"

let private number (x: float) =
    if Double.IsNaN x then
        "—"
    else
        x.ToString("0.####", Globalization.CultureInfo.InvariantCulture)

// the best trials: their swept values and the metrics people compare first
let private printSweep (result: SweepResult) (rows: int) =
    let shown =
        [ result.Objective.Metric; "sharpe"; "return"; "maxdd"; "trades" ]
        |> List.distinct

    table
        ([ "rank"; "trial" ] @ [ for a in result.Axes -> a.Name ] @ shown)
        [
            for rank, t in result.Trials |> Seq.truncate rows |> Seq.indexed ->
                [ string (rank + 1); string t.Number ]
                @ [
                    for a in result.Axes ->
                        match t.Swept.TryGetValue a.Name with
                        | true, v -> string v
                        | _ -> "–" // its condition failed in this trial
                ]
                @ (match t.Outcome with
                   | null ->
                       shown
                       |> List.mapi (fun i _ ->
                           if i = 0 then
                               (Option.ofObj t.Error |> Option.defaultValue "")
                           else
                               "")
                   | o -> [ for m in shown -> number o.Metrics[m] ])
        ]

let private runSweep (dataDir: string) (path: string) (args: ParseResults<SweepArgs>) =
    let settings =
        runSettings
            (args.TryGetResult From |> Option.map (parseDate "--from"))
            (args.TryGetResult To |> Option.map (parseDate "--to"))
            (args.TryGetResult Fee)
            None
            (args.TryGetResult Capital)

    let jobs = args.GetResult(Jobs, defaultValue = Environment.ProcessorCount)

    if jobs < 1 then
        usageError $"--jobs: expected at least 1, found {jobs}"

    let accounting = accounting (args.TryGetResult Accounting)

    let objective =
        refusedAs path (fun () -> Objective.Of(args.GetResult(Objective, defaultValue = "sharpe")))

    let plan = compileFile path
    let axes = refusedAs path (fun () -> Sweep.ParseAxes(plan, args.GetResults Grid))
    let store, data, prepared = prepareRun dataDir path plan id
    use _ = data
    use run = prepared

    let fixedValues =
        refusedAs path (fun () -> run.Parse(parseParams (args.GetResults Param)))

    let modelStore = ModelTraining.modelStore store None

    let models =
        if plan.Models.IsEmpty then
            None
        else
            Some(Func<ParameterSet, _>(fun p -> run.Models(p, modelStore)))

    // Ctrl+C: no further trial starts, the running ones finish and are kept; a second Ctrl+C stops at once
    use stop = new CancellationTokenSource()

    let onCancel =
        ConsoleCancelEventHandler(fun _ e ->
            if not stop.IsCancellationRequested then
                e.Cancel <- true
                Console.Error.WriteLine "stopping after the running trials (Ctrl+C again to stop at once)"
                stop.Cancel())

    Console.CancelKeyPress.AddHandler onCancel

    // off a terminal, the first finished trial and then one every ten seconds go to standard error
    let watch = Diagnostics.Stopwatch.StartNew()
    let mutable lastLine: TimeSpan option = None

    let logLine (line: string) =
        lock watch (fun () ->
            if
                lastLine
                |> Option.forall (fun t -> watch.Elapsed - t >= TimeSpan.FromSeconds 10.0)
            then
                lastLine <- Some watch.Elapsed
                Console.Error.WriteLine line)

    let result =
        try
            withProgress $"sweeping {plan.Name}" (fun progress ->
                let total = float (Sweep.Combinations(run, axes, fixedValues).Count)
                let mutable finished = 0

                let report (line: string) fraction =
                    if Spectre.Console.AnsiConsole.Profile.Capabilities.Interactive then
                        progress line fraction
                    else
                        logLine $"{line} ({fraction * 100.0:F0}%% of the combinations)"

                refusedAs path (fun () ->
                    Sweep.Run(
                        run,
                        axes,
                        settings,
                        accounting,
                        objective,
                        jobs,
                        stop.Token,
                        (fun t ->
                            let n = Interlocked.Increment &finished
                            report $"sweeping {plan.Name}: trial {t.Number} done" (float n / total)),
                        Option.toObj models,
                        fixedValues
                    )))
        finally
            Console.CancelKeyPress.RemoveHandler onCancel

    let folder =
        args.TryGetResult Out
        |> Option.defaultWith (fun () ->
            let stamp =
                DateTime.UtcNow.ToString("yyyyMMdd-HHmmss", Globalization.CultureInfo.InvariantCulture)

            Path.Combine("runs", $"{plan.Name}-sweep-{stamp}"))

    SweepFolder.Write(folder, plan.Name, plan.Dataset, result)

    printLine
        $"{plan.Name} on {plan.Dataset}: {result.Trials.Count} of {result.Combinations} combinations, best first by {objective.Metric}"

    printSweep result (args.GetResult(Top, defaultValue = 20))

    if result.Stopped then
        printWarning $"stopped: {result.Combinations - result.Trials.Count} combination(s) did not run"

    printLine $"sweep written to {folder} (sweep.html, sweep.csv, sweep.json, trials/)"

    fun (w: Text.Json.Utf8JsonWriter) ->
        w.WriteString("folder", folder)
        w.WritePropertyName "sweep"
        w.WriteRawValue(File.ReadAllText(Path.Combine(folder, "sweep.json")))

let sweep (dataDir: string) (args: ParseResults<SweepArgs>) =
    let path = args.GetResult SweepArgs.File
    withJson "sweep" path (args.Contains SweepArgs.Json) (fun () -> runSweep dataDir path args)

// ---- optimize: an Optuna-style search of the ranges the strategy declares ----

type OptimizeArgs =
    | [<MainCommand; Mandatory>] File of path: string
    | Trials of count: int
    | Sampler of name: string
    | Objective of metric: string
    | Constraint of text: string
    | Cv of text: string
    | Walk_Forward of windows: string
    | Pruner of name: string
    | Seed of seed: int64
    | Study of name: string
    | Storage of url: string
    | Jobs of count: int
    | Timeout of duration: string
    | Accounting of kind: string
    | From of date: string
    | To of date: string
    | Fee of bps: float
    | Capital of quote: float
    | Top of rows: int
    | Out of folder: string
    | Json

    interface IArgParserTemplate with
        member a.Usage =
            match a with
            | File _ -> "the .strat file whose declared parameter ranges are searched"
            | Trials _ -> "the study stops once it holds this many finished trials, counting earlier runs (default 100)"
            | Sampler _ -> "tpe (the default), tpe-multivariate, random, grid or cmaes"
            | Objective _ ->
                "a metric to optimise in its own direction (default sharpe); give two for a Pareto front: "
                + (TrialMetrics.Known |> Seq.map _.Name |> String.concat ", ")
            | Constraint _ -> "a bar the chosen trial must clear, e.g. \"maxdd < 0.25\" (repeatable)"
            | Cv _ -> "score each trial as the mean over walk-forward folds: walk-forward:folds=5,purge=BARS"
            | Walk_Forward _ ->
                "walk-forward optimisation: a study per in-sample window, its best trial traded on the next window, stitched: rolling:train=BARS,test=BARS[,purge=BARS,embargo=BARS] or anchored:…"
            | Pruner _ -> "none (the default), median or halving: stop weak trials on their first folds (needs --cv)"
            | Seed _ -> "seed of the sampler's proposals (default 0)"
            | Study _ -> "the study's name; an existing study of that name is resumed (default: the strategy's name)"
            | Storage _ ->
                "where studies are kept: sqlite:PATH (default sqlite:runs/studies.db) or postgresql://user:password@host:port/db"
            | Jobs _ -> "trials this process runs at a time (default: every core)"
            | Timeout _ -> "start no trial after this long, e.g. 2h, 30m, 1h30m"
            | Accounting _ -> RunOptionUsage.accounting
            | From _ -> RunOptionUsage.from
            | To _ -> RunOptionUsage.until
            | Fee _ -> RunOptionUsage.fee
            | Capital _ -> RunOptionUsage.capital
            | Top _ -> "rows of the terminal table (default 10)"
            | Out _ -> "with --walk-forward, the folder of its study page (default runs/<study>-walk-forward)"
            | Json -> "print one JSON document (the study's result) on standard output; the text goes to standard error"

/// Runs work against study storage: its errors are one line, exit code 2 for the user's to fix, 1 otherwise
let private storageGuard (work: unit -> 'T) : 'T =
    try
        work ()
    with :? StudyStorageException as e ->
        raise (UserError(e.Message, enum<ExitCode> e.ExitCode))

/// Reads 2h, 30m, 90s, 1h30m, 1d
let parseDuration (option: string) (text: string) =
    let units = dict [ 'd', 86400.0; 'h', 3600.0; 'm', 60.0; 's', 1.0 ]

    let parts =
        Text.RegularExpressions.Regex.Matches(text, @"(\d+(?:\.\d+)?)([dhms])")
        |> Seq.map (fun m -> float m.Groups[1].Value * units[m.Groups[2].Value[0]], m.Length)
        |> List.ofSeq

    let seconds = parts |> List.sumBy fst

    if text = "" || List.sumBy snd parts <> text.Length || seconds <= 0.0 then
        usageError $"{option}: expected a duration such as 2h, 30m, 90s or 1h30m, found '{text}'"

    TimeSpan.FromSeconds seconds

let private storageUrl (given: string option) =
    storageGuard (fun () ->
        match given with
        | Some url -> StorageUrl.Parse url
        | None ->
            Directory.CreateDirectory "runs" |> ignore
            StorageUrl.Default "runs" :> StorageUrl)

let private metricValue (t: FrozenTrial) (name: string) =
    match (TrialMetrics.Read t).TryGetValue name with
    | true, v -> v
    | _ -> nan

// the best trials (or the Pareto front): their parameters and the metrics people compare first
let private printTrials (study: StudyRecord) (shown: FrozenTrial list) =
    let d = study.Definition
    let names = [ for p in d.Space.Parameters -> p.Name ]

    let metrics =
        (List.ofSeq d.Objectives) @ [ "sharpe"; "return"; "maxdd"; "trades" ]
        |> List.distinct

    table
        ([ "trial"; "state" ] @ names @ metrics)
        [
            for t in shown ->
                [ string t.Number; t.State.ToString().ToLowerInvariant() ]
                @ [
                    for n in names ->
                        match t.Params.TryGetValue n with
                        | true, v -> string v
                        | _ -> ""
                ]
                @ [ for m in metrics -> number (metricValue t m) ]
        ]

/// The trials a study puts forward: the best feasible trial, or the feasible Pareto front for two objectives
let chosenTrials (study: StudyRecord) (trials: Collections.Generic.IReadOnlyList<FrozenTrial>) =
    let d = study.Definition
    let constraints = ConstraintSet.Read d.Constraints

    if d.Directions.Length > 1 then
        ParetoFront.Of(trials, d.Directions, constraints) |> List.ofSeq
    else
        BestTrial.Select(trials, d.Directions[0], constraints)
        |> Option.ofObj
        |> Option.toList

let private countsByState (trials: FrozenTrial seq) =
    trials
    |> Seq.countBy _.State
    |> Seq.sortBy fst
    |> Seq.map (fun (s, n) -> $"{n} {s.ToString().ToLowerInvariant()}")
    |> String.concat ", "

let private studyOptions (path: string) (args: ParseResults<OptimizeArgs>) =
    let settings =
        runSettings
            (args.TryGetResult From |> Option.map (parseDate "--from"))
            (args.TryGetResult To |> Option.map (parseDate "--to"))
            (args.TryGetResult Fee)
            None
            (args.TryGetResult Capital)

    refusedAs path (fun () ->
        let objectives =
            match args.GetResults OptimizeArgs.Objective with
            | [] -> [ "sharpe" ]
            | given -> given

        StudyOptions(
            Objectives = [ for o in objectives -> Objective.Of o ],
            Constraints = StudyOptions.ParseConstraints(args.GetResults Constraint),
            CrossValidation = CrossValidation.Parse(args.GetResult(Cv, defaultValue = "none")),
            Accounting = accounting (args.TryGetResult OptimizeArgs.Accounting),
            Settings = settings,
            Sampler = args.GetResult(Sampler, defaultValue = "tpe"),
            Seed = args.GetResult(Seed, defaultValue = 0L),
            Pruner = args.GetResult(Pruner, defaultValue = "none"),
            Trials = args.GetResult(Trials, defaultValue = 100),
            Jobs = args.GetResult(OptimizeArgs.Jobs, defaultValue = Environment.ProcessorCount),
            Timeout =
                (args.TryGetResult Timeout
                 |> Option.map (parseDuration "--timeout")
                 |> Option.toNullable)
        ))

/// Runs work with a token Ctrl+C cancels: no further trial starts, the running ones finish and are
/// kept; a second Ctrl+C stops at once
let private untilCtrlC (work: CancellationToken -> 'T) =
    use stop = new CancellationTokenSource()

    let onCancel =
        ConsoleCancelEventHandler(fun _ e ->
            if not stop.IsCancellationRequested then
                e.Cancel <- true
                Console.Error.WriteLine "stopping after the running trials (Ctrl+C again to stop at once)"
                stop.Cancel())

    Console.CancelKeyPress.AddHandler onCancel

    try
        work stop.Token
    finally
        Console.CancelKeyPress.RemoveHandler onCancel

/// Progress of a study's trials: a bar with the best value so far on a terminal, else a line on
/// standard error every ten seconds. `place` maps a finished trial to its label and the fraction done.
let private trialProgress
    (objective: Objective)
    (progress: string -> float -> unit)
    (place: TrialFinished -> string * float)
    =
    let mutable best: (int * float) option = None
    let watch = Diagnostics.Stopwatch.StartNew()
    let mutable lastLine: TimeSpan option = None

    fun (f: TrialFinished) ->
        lock watch (fun () ->
            if f.Trial.State = TrialState.Complete && f.Trial.Values.Length > 0 then
                let v = f.Trial.Values[0]

                match best with
                | Some(_, b) when objective.Compare(v, b) >= 0 -> ()
                | _ when Double.IsNaN v -> ()
                | _ -> best <- Some(f.Trial.Number, v)

            let bestText =
                match best with
                | Some(n, v) -> $"best {objective.Metric} {number v} (trial {n})"
                | None -> "no complete trial yet"

            let label, fraction = place f
            let line = $"{label}, {bestText}"

            if Spectre.Console.AnsiConsole.Profile.Capabilities.Interactive then
                progress line (min 1.0 fraction)
            elif
                lastLine
                |> Option.forall (fun t -> watch.Elapsed - t >= TimeSpan.FromSeconds 10.0)
            then
                lastLine <- Some watch.Elapsed
                Console.Error.WriteLine line)

let private writeTrial (w: Text.Json.Utf8JsonWriter) (t: FrozenTrial) =
    w.WriteStartObject()
    w.WriteNumber("number", t.Number)
    w.WritePropertyName "params"
    w.WriteRawValue(StudyJson.Params t.Params)
    w.WritePropertyName "values"
    w.WriteRawValue(StudyJson.Values t.Values)
    w.WriteEndObject()

/// The honest statistics, one line each, or why one has no value
let private printStatistics (s: StudyStatisticsResult) =
    let line (label: string) (c: Computed<'T>) (text: 'T -> string) =
        match c.Value with
        | null -> printLine $"{label}: none ({c.Reason})"
        | v -> printLine $"{label}: {text v}"

    line "deflated Sharpe ratio of the chosen trial" s.Deflated (fun d ->
        $"{number d.Deflated.Probability} (N = {d.Deflated.Trials} trials; luck alone would show an annual Sharpe of {number d.ExpectedMaxAnnualSharpe})")

    line "probability of backtest overfitting (CSCV)" s.Overfitting (fun o -> number o.Probability)

    line "minimum backtest length" s.BacktestLength (fun b ->
        $"{number b.MinimumYears} years for {b.Trials} trials at an annual Sharpe of {number b.TargetAnnualSharpe}; the data holds {number b.Years}")

// one study of the whole period
let private runStudy
    (path: string)
    (plan: StrategyLab.Runtime.Plan.StrategyPlan)
    (storage: IStudyStorage)
    (study: StudyRecord)
    run
    options
    models
    top
    =
    let runner = StudyRunner(storage, study, run, options, LocalWorker.Name, models)
    let objective = options.Objectives[0]

    let outcome =
        withProgress $"optimizing {plan.Name}" (fun progress ->
            let report =
                trialProgress objective progress (fun f ->
                    $"{study.Name}: {f.StudyFinished}/{f.Target} trials", float f.StudyFinished / float f.Target)

            untilCtrlC (fun stop -> storageGuard (fun () -> refusedAs path (fun () -> runner.Run(stop, report)))))

    let trials = storageGuard (fun () -> storage.Trials study.Id)
    let chosen = chosenTrials study trials

    printLine
        $"study {study.Name} in {storage.Location}: {trials.Count} trials ({countsByState trials}); this run: {outcome.Completed} complete, {outcome.Pruned} pruned, {outcome.Failed} failed; stopped because {outcome.StoppedBecause}"

    let constraints = study.Definition.Constraints

    match chosen with
    | [] ->
        printWarning (
            if constraints = "" then
                "no complete trial with a finite objective"
            else
                $"no complete trial clears the constraints {constraints}"
        )
    | [ t ] when study.Definition.Directions.Length = 1 ->
        let among =
            if constraints = "" then
                ""
            else
                " among trials with " + constraints

        printLine $"best trial {t.Number}, chosen by {objective.Metric}{among}"
        printTrials study [ t ]
    | front ->
        let objectives = String.Join(" and ", study.Definition.Objectives)
        printLine $"Pareto front of {objectives}: {front.Length} trial(s)"
        printTrials study (front |> List.truncate top)

    // next to the best value, what it is worth given how many trials were tried
    if not chosen.IsEmpty then
        withStatus "re-running the complete trials for the study's statistics" (fun () ->
            StudyStatistics.Compute(study, trials, run, options.Settings, options.Accounting, models))
        |> printStatistics

    let location = storage.Location

    fun (w: Text.Json.Utf8JsonWriter) ->
        w.WriteString("study", study.Name)
        w.WriteString("storage", location)
        w.WriteNumber("trials", trials.Count)
        w.WriteString("stoppedBecause", outcome.StoppedBecause)
        w.WritePropertyName "chosen"
        w.WriteStartArray()
        chosen |> List.iter (writeTrial w)
        w.WriteEndArray()

let private date (ms: int64) =
    DateTimeOffset.FromUnixTimeMilliseconds(ms).ToString("yyyy-MM-dd", Globalization.CultureInfo.InvariantCulture)

// a study per in-sample window, each window's choice traded on the next, stitched
let private runWalkForward
    (path: string)
    (plan: StrategyLab.Runtime.Plan.StrategyPlan)
    storage
    name
    source
    (run: PreparedRun)
    options
    models
    scheme
    (out: string option)
    =
    let windows =
        refusedAs path (fun () -> WalkForwardStudy.Windows(run, options, scheme))

    let objective = options.Objectives[0]

    let result =
        withProgress $"walk-forward {plan.Name}" (fun progress ->
            // each window's study reports its own best so far
            let mutable current = (0, fun (_: TrialFinished) -> ())

            untilCtrlC (fun stop ->
                storageGuard (fun () ->
                    refusedAs path (fun () ->
                        WalkForwardStudy.Run(
                            storage,
                            name,
                            run,
                            source,
                            options,
                            scheme,
                            LocalWorker.Name,
                            stop,
                            (fun window f ->
                                if fst current <> window.Index + 1 then
                                    current <-
                                        window.Index + 1,
                                        trialProgress objective progress (fun f ->
                                            $"window {window.Index + 1}/{windows.Count}: {f.StudyFinished}/{f.Target} trials",
                                            (float window.Index + float f.StudyFinished / float f.Target)
                                            / float windows.Count)

                                (snd current) f),
                            models
                        )))))

    match result with
    | null ->
        printWarning "stopped: the windows' studies keep their trials; run the same command to go on"
        fun (w: Text.Json.Utf8JsonWriter) -> w.WriteBoolean("stopped", true)
    | r ->
        let names = [ for p in run.Plan.Parameters -> p.Name ]

        table
            ([ "window"; "in sample"; "out of sample"; "trial" ]
             @ names
             @ [ $"in-sample {objective.Metric}"; "oos sharpe"; "oos return"; "oos maxdd" ])
            [
                for w in r.Windows ->
                    let times = run.Panel.Times
                    let inS = w.Window.InSample
                    let oos = w.Window.OutOfSample

                    [
                        string (w.Window.Index + 1)
                        $"{date times[inS.Start]}..{date times[inS.End - 1]}"
                        $"{date times[oos.Start]}..{date times[oos.End - 1]}"
                        (match w.Chosen with
                         | null -> "none"
                         | t -> string t.Number)
                    ]
                    @ [
                        for n in names ->
                            match w.Chosen with
                            | null -> ""
                            | t ->
                                match t.Params.TryGetValue n with
                                | true, v -> string v
                                | _ -> ""
                    ]
                    @ (match w.Chosen, w.OutOfSample with
                       | null, _
                       | _, null -> [ "—"; "flat"; "flat"; "flat" ]
                       | t, o ->
                           [
                               number t.Values[0]
                               number o.Metrics["sharpe"]
                               number o.Metrics["return"]
                               number o.Metrics["maxdd"]
                           ])
            ]

        let m = r.Stitched.Metrics

        printLine
            $"out of sample, stitched over {r.Windows.Count} windows ({r.Stitched.Returns.Length} bars): Sharpe {number m.Sharpe}, return {number m.TotalReturn}, max drawdown {number m.MaxDrawdown}, PSR(0) {number r.Stitched.ProbabilisticSharpe}"

        // the page: the last window's study (the parameters trading now) with the stitched record
        let last = r.Windows[r.Windows.Count - 1]
        let lastStudy = storageGuard (fun () -> storage.Find last.Study) |> nonNull
        let settings = options.WithScoring(lastStudy.Definition.Scoring).ScoredSettings run

        let folder =
            out
            |> Option.defaultWith (fun () -> Path.Combine("runs", name.Replace('/', '-') + "-walk-forward"))

        StudyPage.Write(
            folder,
            lastStudy,
            storageGuard (fun () -> storage.Trials lastStudy.Id),
            run,
            settings,
            options.Accounting,
            models,
            WalkForwardSummary.From r
        )
        |> ignore

        printLine $"study page of the last window, with the stitched out-of-sample record, written to {folder}"

        // the run's data is released before the document is written: take its times now
        let windows =
            [
                for x in r.Windows ->
                    x.Study,
                    run.Panel.Times[x.Window.InSample.Start],
                    run.Panel.Times[x.Window.OutOfSample.Start],
                    x.Chosen
            ]

        let location = storage.Location

        fun (w: Text.Json.Utf8JsonWriter) ->
            w.WriteString("study", name)
            w.WriteString("storage", location)
            w.WritePropertyName "windows"
            w.WriteStartArray()

            for study, inSample, outOfSample, chosen in windows do
                w.WriteStartObject()
                w.WriteString("study", study)
                w.WriteNumber("inSampleStart", inSample)
                w.WriteNumber("outOfSampleStart", outOfSample)
                w.WritePropertyName "chosen"

                match chosen with
                | null -> w.WriteNullValue()
                | t -> writeTrial w t

                w.WriteEndObject()

            w.WriteEndArray()
            w.WritePropertyName "outOfSample"
            w.WriteStartObject()
            w.WriteNumber("bars", r.Stitched.Returns.Length)
            w.WriteNumber("sharpe", m.Sharpe)
            w.WriteNumber("return", m.TotalReturn)
            w.WriteNumber("maxdd", m.MaxDrawdown)
            w.WriteEndObject()

let private runOptimize (dataDir: string) (path: string) (args: ParseResults<OptimizeArgs>) =
    let plan = compileFile path
    let options = studyOptions path args
    refusedAs path (fun () -> options.Validate(PlanSearchSpace.From plan))

    let scheme =
        args.TryGetResult Walk_Forward
        |> Option.map (fun text -> refusedAs path (fun () -> WalkForwardOptimization.Parse text))

    let url = storageUrl (args.TryGetResult Storage)
    let name = args.GetResult(Study, defaultValue = plan.Name)
    let store, data, prepared = prepareRun dataDir path plan id
    use _ = data
    use run = prepared
    let source = File.ReadAllText path
    use storage = storageGuard (fun () -> StudyStorage.Open url)
    let modelStore = ModelTraining.modelStore store None

    let models =
        if plan.Models.IsEmpty then
            null
        else
            Func<ParameterSet, _>(fun p -> run.Models(p, modelStore))

    match scheme with
    | Some scheme ->
        runWalkForward path plan storage name source run options models scheme (args.TryGetResult OptimizeArgs.Out)
    | None ->
        let definition = refusedAs path (fun () -> options.Define(name, run, source))
        let study = storageGuard (fun () -> storage.OpenOrCreate definition)
        runStudy path plan storage study run options models (args.GetResult(Top, defaultValue = 10))

let optimize (dataDir: string) (args: ParseResults<OptimizeArgs>) =
    let path = args.GetResult OptimizeArgs.File
    withJson "optimize" path (args.Contains OptimizeArgs.Json) (fun () -> runOptimize dataDir path args)

// ---- study: the studies a storage holds ----

type StudyListArgs =
    | Storage of url: string

    interface IArgParserTemplate with
        member a.Usage =
            match a with
            | Storage _ -> "where studies are kept (default sqlite:runs/studies.db)"

type StudyShowArgs =
    | [<MainCommand; Mandatory>] Name of study: string
    | Storage of url: string
    | Top of rows: int
    | Json

    interface IArgParserTemplate with
        member a.Usage =
            match a with
            | Name _ -> "the study"
            | Storage _ -> "where studies are kept (default sqlite:runs/studies.db)"
            | Top _ -> "rows of the best trials' table (default 10)"
            | Json -> "print the study and every trial, with its state, as one JSON document"

type StudyExportArgs =
    | [<MainCommand; Mandatory>] Name of study: string
    | Storage of url: string
    | Format of kind: string
    | Out of file: string

    interface IArgParserTemplate with
        member a.Usage =
            match a with
            | Name _ -> "the study"
            | Storage _ -> "where studies are kept (default sqlite:runs/studies.db)"
            | Format _ -> "csv (one row per trial; the default) or json (the study and its trials)"
            | Out _ -> "the file to write (default: standard output)"

type StudyReportArgs =
    | [<MainCommand; Mandatory>] Name of study: string
    | Storage of url: string
    | Out of folder: string

    interface IArgParserTemplate with
        member a.Usage =
            match a with
            | Name _ -> "the study"
            | Storage _ -> "where studies are kept (default sqlite:runs/studies.db)"
            | Out _ -> "the study page's folder (default runs/<study>-study)"

type StudyDeleteArgs =
    | [<MainCommand; Mandatory>] Name of study: string
    | Storage of url: string

    interface IArgParserTemplate with
        member a.Usage =
            match a with
            | Name _ -> "the study to delete with all its trials"
            | Storage _ -> "where studies are kept (default sqlite:runs/studies.db)"

type StudyArgs =
    | [<CliPrefix(CliPrefix.None)>] List of ParseResults<StudyListArgs>
    | [<CliPrefix(CliPrefix.None)>] Show of ParseResults<StudyShowArgs>
    | [<CliPrefix(CliPrefix.None)>] Export of ParseResults<StudyExportArgs>
    | [<CliPrefix(CliPrefix.None)>] Report of ParseResults<StudyReportArgs>
    | [<CliPrefix(CliPrefix.None)>] Delete of ParseResults<StudyDeleteArgs>

    interface IArgParserTemplate with
        member a.Usage =
            match a with
            | List _ -> "every study: strategy, data, objectives and trials by state"
            | Show _ -> "a study's definition, its trials by state and its best trials"
            | Export _ -> "a study's trials as CSV or JSON"
            | Report _ ->
                "write the study page: history, importance, slices, contour, Pareto front, honest statistics, the chosen trial's report"
            | Delete _ -> "delete a study and its trials"

let private openStorage (given: string option) =
    let url = storageUrl given
    storageGuard (fun () -> StudyStorage.Open url)

let private findStudy (storage: IStudyStorage) (name: string) =
    match storageGuard (fun () -> storage.Find name) with
    | null -> usageError $"no study named '{name}' in storage {storage.Location}"
    | study -> study

let private listStudies (args: ParseResults<StudyListArgs>) =
    use storage = openStorage (args.TryGetResult StudyListArgs.Storage)
    let studies = storageGuard (fun () -> storage.List())

    if studies.Count = 0 then
        printLine $"no study in {storage.Location}"
    else
        table
            [ "study"; "strategy"; "data"; "directions"; "trials"; "created" ]
            [
                for s in studies ->
                    [
                        s.Name
                        s.StrategyName
                        s.DatasetName
                        (s.Directions
                         |> Seq.map (fun d -> d.ToString().ToLowerInvariant())
                         |> String.concat ", ")
                        (s.TrialsByState
                         |> Seq.map (fun p -> $"{p.Value} {p.Key.ToString().ToLowerInvariant()}")
                         |> String.concat ", ")
                        s.Created.ToString("yyyy-MM-dd HH:mm", Globalization.CultureInfo.InvariantCulture)
                    ]
            ]

let private printStudy (study: StudyRecord) (trials: Collections.Generic.IReadOnlyList<FrozenTrial>) (rows: int) =
    let d = study.Definition

    let objectives =
        Seq.zip d.Objectives d.Directions
        |> Seq.map (fun (o, dir) -> $"{dir.ToString().ToLowerInvariant()} {o}")
        |> String.concat ", "

    printLine $"study {d.Name}: strategy {d.StrategyName} ({d.StrategyHash[..11]}) on {d.DatasetName}"
    let constraints = if d.Constraints = "" then "none" else d.Constraints

    printLine $"objectives: {objectives}; constraints: {constraints}"
    printLine $"scored: {d.Scoring}; sampler {d.SamplerName}"
    printLine $"{trials.Count} trials ({countsByState trials})"


    match chosenTrials study trials with
    | [] -> printWarning "no complete trial clears the constraints"
    | front when d.Directions.Length > 1 ->
        printLine $"Pareto front: {front.Length} trial(s)"
        printTrials study (front |> List.truncate rows)
    | best :: _ ->
        // the best trial, then the other complete trials, best first
        let objective =
            StrategyLab.Runtime.Search.Objective(d.Objectives[0], d.Directions[0])

        let others =
            trials
            |> Seq.filter (fun t -> t.State = TrialState.Complete && t.Number <> best.Number)
            |> Seq.sortWith (fun a b -> objective.Compare(a.Values[0], b.Values[0]))
            |> List.ofSeq

        printLine $"best trial {best.Number}, then the others by {objective.Metric}"
        printTrials study (best :: others |> List.truncate rows)

let private showStudy (args: ParseResults<StudyShowArgs>) =
    use storage = openStorage (args.TryGetResult StudyShowArgs.Storage)
    let study = findStudy storage (args.GetResult StudyShowArgs.Name)
    let trials = storageGuard (fun () -> storage.Trials study.Id)

    if args.Contains StudyShowArgs.Json then
        Console.Out.WriteLine(StudyExport.Json(study, trials))
    else
        printStudy study trials (args.GetResult(StudyShowArgs.Top, defaultValue = 10))

let private exportStudy (args: ParseResults<StudyExportArgs>) =
    use storage = openStorage (args.TryGetResult StudyExportArgs.Storage)
    let study = findStudy storage (args.GetResult StudyExportArgs.Name)
    let trials = storageGuard (fun () -> storage.Trials study.Id)

    let text =
        match args.GetResult(Format, defaultValue = "csv") with
        | "csv" -> StudyExport.Csv(study, trials)
        | "json" -> StudyExport.Json(study, trials)
        | other -> usageError $"--format: expected csv or json, found '{other}'"

    match args.TryGetResult StudyExportArgs.Out with
    | None -> Console.Out.Write text
    | Some file ->
        File.WriteAllText(file, text)
        printLine $"{trials.Count} trials of study {study.Name} written to {file}"

/// A stored study's strategy compiled from the source the study keeps, bound to today's data, which
/// must be the data the study ran on
let private prepareStudyRun (dataDir: string) (study: StudyRecord) =
    let d = study.Definition
    let path = d.StrategyName + ".strat"

    let plan =
        match StrategyLab.Strategy.Dsl.Compiler.compile path d.StrategySource with
        | Ok plan -> plan
        | Error diagnostics ->
            usageError
                $"study {d.Name}: its stored strategy no longer compiles ({diagnostics.Length} error(s)); run it with this version again"

    let store, panel, run = prepareRun dataDir path plan id

    if run.DataHash <> d.DataHash then
        (run :> IDisposable).Dispose()
        panel.Dispose()

        failure
            $"study {d.Name}: dataset {d.DatasetName} has changed since the study ran (hash {d.DataHash} then, {run.DataHash} now)"

    store, panel, run

let private reportStudy (dataDir: string) (args: ParseResults<StudyReportArgs>) =
    use storage = openStorage (args.TryGetResult StudyReportArgs.Storage)
    let study = findStudy storage (args.GetResult StudyReportArgs.Name)
    let trials = storageGuard (fun () -> storage.Trials study.Id)
    let d = study.Definition

    let options =
        try
            StudyOptions(
                Objectives =
                    [
                        for o, dir in Seq.zip d.Objectives d.Directions -> StrategyLab.Runtime.Search.Objective(o, dir)
                    ]
            )
                .WithScoring(d.Scoring)
        with :? FormatException as e ->
            failure e.Message

    let store, panel, prepared = prepareStudyRun dataDir study
    use _ = panel
    use run = prepared
    let modelStore = ModelTraining.modelStore store None

    let models =
        if run.Plan.Models.IsEmpty then
            null
        else
            Func<ParameterSet, _>(fun p -> run.Models(p, modelStore))

    let folder =
        args.TryGetResult StudyReportArgs.Out
        |> Option.defaultWith (fun () -> Path.Combine("runs", d.Name.Replace('/', '-') + "-study"))

    let statistics =
        withStatus $"re-running the complete trials of {d.Name}" (fun () ->
            StudyPage.Write(folder, study, trials, run, options.ScoredSettings run, options.Accounting, models))

    printStatistics statistics
    printLine $"study page written to {folder} (study.html, trials.csv, study.json, best/)"

let private deleteStudy (args: ParseResults<StudyDeleteArgs>) =
    use storage = openStorage (args.TryGetResult StudyDeleteArgs.Storage)
    let study = findStudy storage (args.GetResult StudyDeleteArgs.Name)
    storageGuard (fun () -> storage.Delete study.Name)
    printLine $"deleted study {study.Name} from {storage.Location}"

let study (dataDir: string) (args: ParseResults<StudyArgs>) =
    match args.GetSubCommand() with
    | List a -> listStudies a
    | Show a -> showStudy a
    | Export a -> exportStudy a
    | Report a -> reportStudy dataDir a
    | Delete a -> deleteStudy a
