/// A study's worker: trials proposed from storage, scored fold by fold, pruned, resumed and rerun
module StrategyLab.Strategy.Dsl.Tests.StudyRunnerTests

open System
open System.Collections.Generic
open System.Diagnostics
open System.IO
open Xunit
open StrategyLab.Runtime.Backtest
open StrategyLab.Runtime.Data
open StrategyLab.Runtime.Evaluation
open StrategyLab.Runtime.Plan
open StrategyLab.Runtime.Runs
open StrategyLab.Runtime.Search
open StrategyLab.Runtime.Search.Storage
open StrategyLab.Strategy.Dsl
open StrategyLab.Strategy.Dsl.Tests.Support

let private momentumPath =
    Path.Combine(repoRoot, "strategies", "momentum_long_short.strat")

let private prepare () =
    let plan =
        match Compiler.compile momentumPath (File.ReadAllText momentumPath) with
        | Ok p -> p
        | Error d -> failwithf "%A" d

    let store = DataStore(Path.Combine(repoRoot, "data"))
    let panel = store.ParseCsv(store.Catalog.Get "daily_top100", ImportLog())
    panel, PreparedRun.Prepare(plan, panel)

let private options (trials: int) =
    StudyOptions(Objectives = [ Objective.Of "sharpe" ], Sampler = "random", Seed = 3L, Trials = trials, Jobs = 2)

let private open' (storage: IStudyStorage) (run: PreparedRun) (o: StudyOptions) =
    storage.OpenOrCreate(o.Define("momentum", run, File.ReadAllText momentumPath))

let private sharpeOf (run: PreparedRun) (parameters: IReadOnlyDictionary<string, ScalarValue>) =
    use alone = run.Backtest(run.Bind parameters, RunSettings.Default)
    PerformanceMetrics.FromReturns(alone.Ledger.Returns, 365.0).Sharpe

[<Fact>]
let ``every trial of a study is the backtest of its parameters, and a second run tops the study up to its target`` () =
    let panel, run = prepare ()
    use _ = panel
    use _ = run
    use storage = new InMemoryStudyStorage()
    let study = open' storage run (options 5)

    let first = StudyRunner(storage, study, run, options 5, "w1").Run()
    Assert.Equal(StudyRunOutcome(5, 0, 0, "the study holds 5 trials"), first)
    let before = storage.Trials study.Id

    for t in before do
        Assert.Equal(TrialState.Complete, t.State)
        // the objective is the plain backtest's Sharpe over the whole history, and kept among the metrics
        Assert.Equal(sharpeOf run t.Params, t.Values[0])
        Assert.Equal(t.Values[0], (TrialMetrics.Read t)["sharpe"])

    let second = StudyRunner(storage, study, run, options 8, "w2").Run()
    Assert.Equal(3, second.Completed)
    let after = storage.Trials study.Id
    Assert.Equal<int>([ 0..7 ], after |> Seq.map _.Number)
    // the first run's trials are untouched
    let snapshot (t: FrozenTrial) =
        box (
            t.Number,
            StudyJson.Params t.Params,
            StudyJson.Values t.Values,
            t.Finished,
            StudyJson.Attributes t.Attributes
        )

    Assert.Equal<obj | null>(before |> Seq.map snapshot, after |> Seq.take 5 |> Seq.map snapshot)

[<Fact>]
let ``a study resumed with other scoring terms is refused before any trial`` () =
    let panel, run = prepare ()
    use _ = panel
    use _ = run
    use storage = new InMemoryStudyStorage()
    open' storage run (options 2) |> ignore

    let other =
        StudyOptions(Objectives = [ Objective.Of "sharpe" ], Accounting = Accounting.Weights)
            .Define("momentum", run, File.ReadAllText momentumPath)

    let e =
        Assert.Throws<StudyStorageException>(fun () -> storage.OpenOrCreate other |> ignore)

    Assert.StartsWith(
        "study 'momentum' exists with another definition: trials scored on 'ledger; period ..;",
        e.Message
    )

    Assert.Empty(storage.List() |> Seq.filter (fun s -> s.TrialCount > 0))

[<Fact>]
let ``a pruned trial stopped on a fold whose running mean was below the median of the complete trials there`` () =
    let panel, run = prepare ()
    use _ = panel
    use _ = run
    use storage = new InMemoryStudyStorage()

    let o =
        StudyOptions(
            Objectives = [ Objective.Of "sharpe" ],
            Sampler = "random",
            Seed = 11L,
            Trials = 16,
            Jobs = 1,
            CrossValidation = CrossValidation(Folds = 4),
            Pruner = "median"
        )

    let study = open' storage run o
    let outcome = StudyRunner(storage, study, run, o, "w").Run()
    let trials = storage.Trials study.Id

    let pruned =
        trials |> Seq.filter (fun t -> t.State = TrialState.Pruned) |> List.ofSeq

    Assert.Equal(outcome.Pruned, pruned.Length)
    Assert.NotEmpty pruned

    for t in pruned do
        let step, value = t.Intermediate |> Seq.last |> fun p -> p.Key, p.Value
        Assert.True(step < 3, $"trial {t.Number} was pruned on its last fold")
        Assert.Equal(step + 1, t.Intermediate.Count) // no fold ran after the pruning one
        // the complete trials numbered before it had that step's value when it was judged
        let earlier =
            trials
            |> Seq.filter (fun c -> c.State = TrialState.Complete && c.Number < t.Number)
            |> Seq.map (fun c -> c.Intermediate[step])
            |> Seq.sort
            |> Array.ofSeq

        let median =
            if earlier.Length % 2 = 1 then
                earlier[earlier.Length / 2]
            else
                (earlier[earlier.Length / 2 - 1] + earlier[earlier.Length / 2]) / 2.0

        Assert.True(value < median, $"trial {t.Number}: {value} at fold {step} is not below the median {median}")

    for t in trials |> Seq.filter (fun t -> t.State = TrialState.Complete) do
        Assert.Equal(4, t.Intermediate.Count)
        // a complete trial's objective is its mean over the four folds, the last running mean
        Assert.Equal(t.Intermediate[3], t.Values[0], 12)

[<Fact>]
let ``a trial left running by a process that is gone is failed and rerun at once`` () =
    let panel, run = prepare ()
    use _ = panel
    use _ = run
    use storage = new InMemoryStudyStorage()
    let study = open' storage run (options 3)
    // a worker process of this machine that has ended
    use gone = Process.Start("true")
    gone.WaitForExit()
    let worker = $"{Environment.MachineName}/{gone.Id}/1"

    let orphan =
        storage.StartTrial(study.Id, readOnlyDict [ "k", ScalarValue.Of 4.0; "lookback", ScalarValue.Of 30.0 ], worker)

    StudyRunner(storage, study, run, options 3, LocalWorker.Name).Run() |> ignore
    let trials = storage.Trials study.Id
    Assert.Equal(TrialState.Failed, trials[0].State)
    Assert.Equal($"its worker {worker} stopped while it ran", trials[0].Attributes[TrialAttributes.Reason])
    let retry = trials[1]
    Assert.Equal(TrialState.Complete, retry.State)
    Assert.Equal<KeyValuePair<string, ScalarValue>>(orphan.Params, retry.Params)
    Assert.Equal("0", retry.Attributes[TrialAttributes.RetryOf])
    Assert.Equal(3, trials |> Seq.filter (fun t -> t.State = TrialState.Complete) |> Seq.length)
    // this process is alive: its own name is never taken for a gone worker
    Assert.False(LocalWorker.IsGone LocalWorker.Name)

[<Fact>]
let ``searches no trial could complete are refused before any trial runs`` () =
    let panel, run = prepare ()
    use _ = panel
    use _ = run
    let space = PlanSearchSpace.From run.Plan

    let refused (o: StudyOptions) =
        (Assert.Throws<PlanException>(fun () -> o.Validate space)).Message

    Assert.Equal(
        "'trades' counts round trips, which weights accounting does not have; use --accounting ledger",
        refused (StudyOptions(Objectives = [ Objective.Of "trades" ], Accounting = Accounting.Weights))
    )

    Assert.Equal(
        "--pruner median: a trial is stopped on its first walk-forward folds; give --cv walk-forward:folds=N with N of 2 or more",
        refused (StudyOptions(Objectives = [ Objective.Of "sharpe" ], Pruner = "median"))
    )

    Assert.Equal(
        "--sampler cmaes: CMA-ES optimises one objective; use tpe or random for a Pareto front",
        refused (StudyOptions(Objectives = [ Objective.Of "sharpe"; Objective.Of "maxdd" ], Sampler = "cmaes"))
    )

    Assert.Equal(
        "--sampler: expected tpe, tpe-multivariate, random, grid or cmaes, found 'bayes'",
        refused (StudyOptions(Objectives = [ Objective.Of "sharpe" ], Sampler = "bayes"))
    )

    Assert.Equal(
        "--constraint 'calmer < 1': no metric 'calmer'; the metrics are sharpe, sortino, return, cagr, calmar, mar, maxdd, volatility, trades, win_rate, profit_factor, turnover",
        (Assert.Throws<PlanException>(fun () -> StudyOptions.ParseConstraints [ "calmer < 1" ] |> ignore)).Message
    )

[<Fact>]
let ``walk-forward optimisation trades each window's best in-sample trial on the next window and stitches the out-of-sample bars``
    ()
    =
    let panel, run = prepare ()
    use _ = panel
    use _ = run
    use storage = new InMemoryStudyStorage()

    let o =
        StudyOptions(Objectives = [ Objective.Of "sharpe" ], Sampler = "random", Seed = 5L, Trials = 4, Jobs = 2)

    let scheme =
        WalkForwardOptimization(Anchored = false, Train = 600, Test = 400, Purge = 5, Embargo = 0)

    let source = File.ReadAllText momentumPath

    let result =
        WalkForwardStudy.Run(storage, "wf", run, source, o, scheme, "w")
        |> Option.ofObj
        |> Option.defaultWith (fun () -> failwith "the optimisation stopped")

    // 2,125 daily bars: out-of-sample windows from bar 605, of 400 bars, the last one shorter
    Assert.Equal<int * int>(
        [ 605, 1005; 1005, 1405; 1405, 1805; 1805, 2125 ],
        result.Windows
        |> Seq.map (fun w -> w.Window.OutOfSample.Start, w.Window.OutOfSample.End)
    )

    let mutable stitched = []

    for w in result.Windows do
        let trials = storage.Trials(storage.Find(w.Study) |> nonNull |> _.Id)
        Assert.Equal(4, trials.Count)
        // the chosen trial is the study's best in-sample Sharpe, scored on bars before the purge gap
        let best = trials |> Seq.maxBy (fun t -> t.Values[0])
        let chosen = w.Chosen |> nonNull
        Assert.Equal(best.Number, chosen.Number)
        let inSample = w.Window.InSample
        Assert.Equal(w.Window.OutOfSample.Start - 5, inSample.End)
        let scoring = (storage.Find w.Study |> nonNull).Definition.Scoring
        Assert.EndsWith($"bars {inSample.Start}..{inSample.End}", scoring)
        // what a report of the window's study re-runs its trials on: the in-sample bars
        Assert.Equal(
            RunSettings(From = run.Panel.Times[inSample.Start], To = run.Panel.Times[inSample.End]),
            o.WithScoring(scoring).ScoredSettings run
        )

        let scored =
            let from = run.Panel.Times[inSample.Start]
            let until = run.Panel.Times[inSample.End]
            use r = run.Backtest(run.Bind chosen.Params, RunSettings(From = from, To = until))
            PerformanceMetrics.FromReturns(r.Ledger.Returns, 365.0).Sharpe

        Assert.Equal(scored, chosen.Values[0])
        // out of sample: the chosen parameters from a flat book at the window's first bar
        let oos = w.Window.OutOfSample

        let traded =
            let until =
                if oos.End < run.Panel.TimeCount then
                    Nullable run.Panel.Times[oos.End]
                else
                    Nullable()

            use r =
                run.Backtest(run.Bind chosen.Params, RunSettings(From = run.Panel.Times[oos.Start], To = until))

            r.Ledger.Returns

        Assert.Equal<float>(traded, (w.OutOfSample |> nonNull).Returns)
        stitched <- stitched @ List.ofArray traded

    Assert.Equal<float>(stitched, result.Stitched.Returns)

    Assert.Equal(
        PerformanceMetrics.FromReturns(ReadOnlySpan(Array.ofList stitched), 365.0).Sharpe,
        result.Stitched.Metrics.Sharpe
    )

    Assert.Equal(stitched.Length, result.Times.Length)

    // run again: every window's study is complete, nothing new runs, the same record comes out
    let again =
        WalkForwardStudy.Run(storage, "wf", run, source, o, scheme, "w") |> nonNull

    Assert.Equal<float>(result.Stitched.Returns, again.Stitched.Returns)
    Assert.Equal(16, storage.List() |> Seq.sumBy _.TrialCount)

[<Fact>]
let ``a study's scoring text reads back as the options that wrote it`` () =
    let base' = StudyOptions(Objectives = [ Objective.Of "sharpe" ])

    let folded =
        StudyOptions(
            Objectives = [ Objective.Of "sharpe" ],
            Accounting = Accounting.Weights,
            Settings = RunSettings(From = 1_600_000_000_123L, To = 1_700_000_000_000L, Fee = 0.0007, Capital = 2500.0),
            CrossValidation = CrossValidation(Folds = 5, Purge = 3)
        )

    Assert.Equal(
        "weights; period 2020-09-13T12:26:40.123Z..2023-11-14T22:13:20.000Z; fee 0.0007; min notional plan; capital 2500; folds 5, purge 3",
        folded.Scoring
    )

    let read = base'.WithScoring folded.Scoring
    Assert.Equal(folded.Scoring, read.Scoring)
    Assert.Equal(folded.Settings, read.Settings)
    Assert.Equal(Accounting.Weights, read.Accounting)

    let windowed =
        StudyOptions(Objectives = [ Objective.Of "sharpe" ], Periods = [ BarRange(10, 200); BarRange(210, 600) ])

    Assert.EndsWith("bars 10..200, 210..600", windowed.Scoring)
    Assert.Equal<BarRange>(windowed.Periods, base'.WithScoring(windowed.Scoring).Periods)

    Assert.Throws<FormatException>(fun () -> base'.WithScoring "ledger; whatever" |> ignore)
    |> ignore
