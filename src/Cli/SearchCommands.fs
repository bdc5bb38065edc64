/// `strategylab sweep`: every combination of a grid of parameters, in parallel, ranked by an objective
module StrategyLab.Cli.SearchCommands

open System
open System.IO
open System.Threading
open Argu
open StrategyLab.Runtime.Runs
open StrategyLab.Runtime.Search
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
            | Accounting _ -> "ledger (what backtest reports; the default) or weights (research accounting, faster)"
            | Param _ -> "set a parameter that is not swept, e.g. --param k=7 (repeatable)"
            | From _ -> "first bar to trade, e.g. 2023-01-01 (earlier data still warms the indicators up)"
            | To _ -> "end of the period, exclusive"
            | Fee _ -> "replace the strategy's maker and taker fees, in basis points"
            | Capital _ -> "starting cash in the quote currency (default 10,000)"
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
                @ [ for a in result.Axes -> string t.Swept[a.Name] ]
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
