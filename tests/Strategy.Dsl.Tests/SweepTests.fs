/// Sweeps: every combination of a grid, each a backtest of one prepared run
module StrategyLab.Strategy.Dsl.Tests.SweepTests

open System
open System.Collections.Generic
open System.IO
open System.Threading
open Xunit
open StrategyLab.Runtime.Backtest
open StrategyLab.Runtime.Data
open StrategyLab.Runtime.Evaluation
open StrategyLab.Runtime.Plan
open StrategyLab.Runtime.Runs
open StrategyLab.Runtime.Search
open StrategyLab.Strategy.Dsl
open StrategyLab.Strategy.Dsl.Tests.Support

let private momentum () =
    let path = Path.Combine(repoRoot, "strategies", "momentum_long_short.strat")

    match Compiler.compile path (File.ReadAllText path) with
    | Ok p -> p
    | Error d -> failwithf "%A" d

let private daily () =
    let store = DataStore(Path.Combine(repoRoot, "data"))
    store.ParseCsv(store.Catalog.Get "daily_top100", ImportLog())

let private refused (work: unit -> 'T) =
    (Assert.Throws<PlanException>(fun () -> work () |> ignore)).Message

// a trial's metric; a trial that failed fails the test with its error
let private metric (name: string) (t: SweepTrial) =
    match t.Outcome with
    | null -> failwith $"trial {t.Number} failed: {t.Error}"
    | o -> o.Metrics[name]

let private numbers (axis: SweepAxis) =
    axis.Values |> Seq.map (fun v -> v.Number) |> List.ofSeq

[<Fact>]
let ``grid axes take ranges by the declared step, lists and stepped real ranges, each value checked`` () =
    let plan =
        compileOk (
            header
            + "param lookback = 20 in 5..60 by 5\nparam k = 5 in 3..10\nparam w = 0.5 in 0.1..0.9\nparam kind = \"a\" in [\"a\", \"b\"]\n"
            + "signal s = return(close, lookback) * w\nportfolio long top k by s\n"
        )

    let axes =
        Sweep.ParseAxes(plan, [ "lookback=10..30"; "k=3,5,7"; "w=0.1..0.5:0.2"; "kind=b,a" ])

    Assert.Equal<float>([ 10.0; 15.0; 20.0; 25.0; 30.0 ], numbers axes[0])
    Assert.Equal<float>([ 3.0; 5.0; 7.0 ], numbers axes[1])
    Assert.Equal<float>([ 0.1; 0.3; 0.5 ], numbers axes[2])
    Assert.Equal<ScalarValue>([ ScalarValue.Of "b"; ScalarValue.Of "a" ], axes[3].Values)

    Assert.Equal(
        "--grid q: strategy 't' has no parameter 'q'; it has lookback, k, w, kind",
        refused (fun () -> Sweep.ParseAxes(plan, [ "q=1,2" ]))
    )

    Assert.Equal("parameter k: 11 is outside its range 3..10", refused (fun () -> Sweep.ParseAxes(plan, [ "k=8..11" ])))

    Assert.Equal(
        "--grid w: a range of a real parameter needs a step, e.g. w=0.1..0.5:0.1",
        refused (fun () -> Sweep.ParseAxes(plan, [ "w=0.1..0.5" ]))
    )

    Assert.Equal("--grid k: the parameter is swept twice", refused (fun () -> Sweep.ParseAxes(plan, [ "k=3"; "k=4" ])))

    Assert.Equal(
        "--grid kind: expected one of \"a\", \"b\", found 'c'",
        refused (fun () -> Sweep.ParseAxes(plan, [ "kind=c" ]))
    )

[<Fact>]
let ``every trial of a sweep is the backtest of its parameters, whatever the number of jobs`` () =
    use panel = daily ()
    use run = PreparedRun.Prepare(momentum (), panel)
    let axes = Sweep.ParseAxes(run.Plan, [ "k=4..6"; "lookback=10,20" ])
    let objective = Objective.Of "sharpe"

    let one = Sweep.Run(run, axes, RunSettings.Default, Accounting.Ledger, objective, 1)

    let two = Sweep.Run(run, axes, RunSettings.Default, Accounting.Ledger, objective, 2)

    Assert.Equal(6, one.Trials.Count)
    Assert.Equal<int>(one.Trials |> Seq.map _.Number, two.Trials |> Seq.map _.Number)

    for t in one.Trials do
        let values = Dictionary<string, ScalarValue>(t.Swept)
        use alone = run.Backtest(run.Bind values, RunSettings.Default)
        let expected = PerformanceMetrics.FromReturns(alone.Ledger.Returns, 365.0)
        Assert.Equal(expected.Sharpe, metric "sharpe" t)
        Assert.Equal(float (TradeStatistics.From alone.Ledger.Trades).Closed, metric "trades" t)

    // ranked best first by Sharpe; the bundled momentum (k 5, lookback 20) as docs/results.md reports it
    let sharpes = one.Trials |> Seq.map (fun t -> metric "sharpe" t) |> List.ofSeq
    Assert.Equal<float>(List.sortDescending sharpes, sharpes)

    let bundled =
        one.Trials
        |> Seq.find (fun t -> t.Swept["k"] = ScalarValue.Of 5.0 && t.Swept["lookback"] = ScalarValue.Of 20.0)

    Assert.Equal(-0.306, metric "sharpe" bundled, 3)
    Assert.Equal(4063.0, metric "trades" bundled)

[<Fact>]
let ``a swept parameter whose condition fails is left out of that combination, and the repeats run once`` () =
    // lookback matters only for "return"; k only while long_short is true
    let plan =
        compileOk (
            header
            + "param kind = \"return\" in [\"return\", \"rsi\"]\n"
            + "param lookback = 20 in 5..60 when kind = \"return\"\n"
            + "param long_short = true\n"
            + "param k = 5 in 3..10 when long_short = true\n"
            + "signal s = if kind == \"return\" then return(close, lookback) else rsi(close, 14)\n"
            + "portfolio long top 5 by s\n"
        )

    use panel = daily ()
    use run = PreparedRun.Prepare(plan, panel)

    let axes =
        Sweep.ParseAxes(run.Plan, [ "kind=return,rsi"; "lookback=10,20"; "long_short=true,false"; "k=4,6" ])

    let shown =
        Sweep.Combinations(run, axes)
        |> Seq.map (fun struct (swept, _) -> swept |> Seq.map (fun p -> $"{p.Key}={p.Value}") |> String.concat " ")
        |> List.ofSeq

    // 2 × 2 × 2 × 2 = 16 written; by hand: return × lookback 2 × (true × k 2 + false) = 6, rsi × (true × k 2 + false) = 3
    Assert.Equal<string>(
        [
            "k=4 kind=\"return\" long_short=1 lookback=10"
            "k=6 kind=\"return\" long_short=1 lookback=10"
            "kind=\"return\" long_short=0 lookback=10"
            "k=4 kind=\"return\" long_short=1 lookback=20"
            "k=6 kind=\"return\" long_short=1 lookback=20"
            "kind=\"return\" long_short=0 lookback=20"
            "k=4 kind=\"rsi\" long_short=1"
            "k=6 kind=\"rsi\" long_short=1"
            "kind=\"rsi\" long_short=0"
        ],
        shown
    )

    // a left-out parameter is bound at its default
    let struct (_, rsiFlat) = Sweep.Combinations(run, axes) |> Seq.last
    Assert.Equal(ScalarValue.Of 20.0, rsiFlat["lookback"])
    Assert.Equal(ScalarValue.Of 5.0, rsiFlat["k"])

[<Fact>]
let ``a stopped sweep keeps the trials that finished and runs no other`` () =
    use panel = daily ()
    use run = PreparedRun.Prepare(momentum (), panel)
    let axes = Sweep.ParseAxes(run.Plan, [ "k=3..10"; "lookback=10..60" ])
    use stop = new CancellationTokenSource()
    let mutable started = 0

    let result =
        Sweep.Run(
            run,
            axes,
            RunSettings.Default,
            Accounting.Weights,
            Objective.Of "maxdd",
            1,
            stop.Token,
            (fun _ ->
                started <- started + 1

                if started = 3 then
                    stop.Cancel())
        )

    Assert.True result.Stopped
    Assert.Equal(88, result.Combinations)
    Assert.Equal(3, result.Trials.Count)
    Assert.All(result.Trials, (fun t -> Assert.NotNull t.Outcome))
    // the lowest drawdown first
    let drawdowns = result.Trials |> Seq.map (fun t -> metric "maxdd" t) |> List.ofSeq
    Assert.Equal<float>(List.sort drawdowns, drawdowns)

[<Fact>]
let ``a sweep folder holds every trial as CSV, JSON and a page with a heatmap per pair of swept parameters`` () =
    use panel = daily ()
    use run = PreparedRun.Prepare(momentum (), panel)
    let plan = run.Plan
    let axes = Sweep.ParseAxes(plan, [ "k=3,4"; "lookback=10,20" ])

    let result =
        Sweep.Run(run, axes, RunSettings.Default, Accounting.Weights, Objective.Of "sharpe", 2)

    let folder =
        Path.Combine(Path.GetTempPath(), "sweep-" + Guid.NewGuid().ToString "N")

    try
        SweepFolder.Write(folder, plan.Name, plan.Dataset, result)
        let csv = File.ReadAllLines(Path.Combine(folder, "sweep.csv"))
        Assert.StartsWith("rank,trial,k,lookback,sharpe,", csv[0])
        Assert.Equal(5, csv.Length)
        Assert.StartsWith("1,", csv[1])

        for t in result.Trials do
            Assert.True(File.Exists(Path.Combine(folder, "trials", $"{t.Number}.json")))

        let html = File.ReadAllText(Path.Combine(folder, "sweep.html"))
        Assert.Contains("id=\"heat-0-1\"", html)
        Assert.Contains("href=\"trials/", html)

        use json =
            Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "sweep.json")))

        Assert.Equal(4, json.RootElement.GetProperty("trials").GetArrayLength())
    finally
        Directory.Delete(folder, true)

// a statistic of a study's page; one that could not be computed fails the test with its reason
let private computed (c: Reports.Computed<'T>) =
    match c.Value with
    | null -> failwith $"not computed: {c.Reason}"
    | v -> v

[<Fact>]
let ``a study's page from eight random trials of the momentum strategy holds the chosen trial's backtest and statistics over all eight``
    ()
    =
    use panel = daily ()
    use run = PreparedRun.Prepare(momentum (), panel)
    let plan = run.Plan

    let definition =
        Storage.StudyDefinition(
            "momentum-page",
            plan.Name,
            plan.ContentHash(),
            File.ReadAllText(Path.Combine(repoRoot, "strategies", "momentum_long_short.strat")),
            plan.Dataset,
            run.DataHash,
            PlanSearchSpace.From plan,
            Collections.Immutable.ImmutableArray.Create Direction.Maximize,
            Collections.Immutable.ImmutableArray.Create "sharpe",
            "",
            "random",
            Nullable 3L,
            DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero),
            "test"
        )

    use storage = new Storage.InMemoryStudyStorage()
    let study = storage.OpenOrCreate definition

    let options =
        StudyOptions(
            Objectives = ([| Objective.Of "sharpe" |] :> IReadOnlyList<_>),
            Sampler = "random",
            Seed = 3L,
            Trials = 8
        )

    StudyRunner(storage, study, run, options, "test").Run() |> ignore
    let trials = storage.Trials study.Id

    let folder =
        Path.Combine(Path.GetTempPath(), "study-" + Guid.NewGuid().ToString "N")

    try
        let statistics =
            Reports.StudyPage.Write(folder, study, trials, run, RunSettings.Default, Accounting.Ledger)

        Assert.Equal(8, statistics.CompleteTrials)
        let sharpe (t: FrozenTrial) = (TrialMetrics.Read t)["sharpe"]
        let chosen = trials |> Seq.maxBy sharpe
        Assert.Equal(Nullable chosen.Number, statistics.ChosenTrial)
        // the trial's stored Sharpe is its ledger backtest's; re-run for its returns, the per-bar Sharpe annualised is the same
        Assert.Equal(sharpe chosen, (computed statistics.Chosen).AnnualSharpe, 9)
        Assert.Equal(8, (computed statistics.Deflated).Deflated.Trials)
        Assert.Equal(run.Panel.TimeCount, statistics.Bars)
        Assert.Equal(16, (computed statistics.Overfitting).Blocks)
        Assert.NotNull statistics.Importance.Value

        // best/ is the chosen trial's own backtest report, as `strategylab backtest` writes it
        use manifest =
            Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "best", "manifest.json")))

        for p in chosen.Params do
            Assert.Equal(
                p.Value.ToString(),
                manifest.RootElement.GetProperty("parameters").GetProperty(p.Key).GetString()
            )

        use metrics =
            Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "best", "metrics.json")))

        Assert.Equal(sharpe chosen, metrics.RootElement.GetProperty("metrics").GetProperty("sharpe").GetDouble(), 12)

        let html = File.ReadAllText(Path.Combine(folder, "study.html"))
        Assert.Contains("href=\"best/report.html\"", html)
        Assert.Contains("id=\"contour\"", html)
        Assert.Contains("id=\"importance\"", html)
        Assert.True(File.Exists(Path.Combine(folder, "best", "report.html")))
        Assert.Equal(9, File.ReadAllLines(Path.Combine(folder, "trials.csv")).Length)

        use json =
            Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "study.json")))

        Assert.Equal(chosen.Number, json.RootElement.GetProperty("study").GetProperty("best_trial").GetInt32())
    finally
        if Directory.Exists folder then
            Directory.Delete(folder, true)
