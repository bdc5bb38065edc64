/// `strategylab optimize`: resumable studies from the command line, killed and resumed, side by side
module StrategyLab.Cli.Tests.OptimizeCommandTests

open System
open System.Diagnostics
open System.IO
open System.Text.Json
open System.Threading
open Xunit
open StrategyLab.Runtime.Backtest
open StrategyLab.Runtime.Plan
open StrategyLab.Runtime.Search
open StrategyLab.Runtime.Search.Storage
open StrategyLab.Cli.Tests.Cli

let private strategy = "strategies/momentum_long_short.strat"

let private trialsAt (url: string) =
    use storage = StudyStorage.Open url

    match storage.Find "momentum_long_short" with
    | null -> []
    | study -> storage.Trials study.Id |> List.ofSeq

let private trialsIn (db: string) = trialsAt ("sqlite:" + db)

/// A trial as comparable values: records holding immutable collections compare them by reference
let private snapshot (t: FrozenTrial) =
    t.Number,
    t.State,
    StudyJson.Params t.Params,
    StudyJson.Values t.Values,
    List.ofSeq t.Intermediate,
    t.Started,
    t.Finished,
    StudyJson.Attributes t.Attributes

let private retryOf (t: FrozenTrial) =
    match t.Attributes.TryGetValue TrialAttributes.RetryOf with
    | true, n -> n
    | _ -> ""

let private count state (trials: FrozenTrial list) =
    trials |> List.filter (fun t -> t.State = state) |> List.length

/// Starts `strategylab optimize` from the repository root without waiting for it
let private start (args: string list) =
    let info = ProcessStartInfo("dotnet", WorkingDirectory = repositoryRoot)
    info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "strategylab.dll"))

    for a in "optimize" :: strategy :: args do
        info.ArgumentList.Add a

    info.RedirectStandardOutput <- true
    info.RedirectStandardError <- true

    match Process.Start info with
    | null -> failwith "strategylab did not start"
    | p ->
        p.StandardOutput.ReadToEndAsync() |> ignore
        p.StandardError.ReadToEndAsync() |> ignore
        p

[<Fact>]
let ``optimize runs a study to its target and puts forward its best trial`` () =
    use folder = new TempFolder()
    let db = Path.Combine(folder.Path, "studies.db")

    let o =
        run
            [
                "optimize"
                strategy
                "--trials"
                "6"
                "--sampler"
                "random"
                "--seed"
                "4"
                "--storage"
                "sqlite:" + db
                "--json"
            ]

    Assert.True((o.ExitCode = 0), o.Error)
    let trials = trialsIn db
    Assert.Equal(6, count TrialState.Complete trials)
    Assert.Contains("study momentum_long_short in sqlite:", o.Error)
    Assert.Contains("6 trials (6 complete)", o.Error)
    // the statistics of a search of 6 trials, next to its best value
    Assert.Contains("deflated Sharpe ratio of the chosen trial: ", o.Error)
    Assert.Contains("(N = 6 trials;", o.Error)
    Assert.Contains("minimum backtest length: ", o.Error)
    use json = JsonDocument.Parse o.Out
    let chosen = json.RootElement.GetProperty("chosen")[0]
    let best = trials |> List.maxBy (fun t -> t.Values[0])
    Assert.Equal(best.Number, chosen.GetProperty("number").GetInt32())
    Assert.Equal(best.Values[0], (chosen.GetProperty("values")[0]).GetDouble())

[<Fact>]
let ``bad searches are one-line errors before any trial, and a stored study is left untouched`` () =
    use folder = new TempFolder()
    let db = Path.Combine(folder.Path, "studies.db")
    let storage = "sqlite:" + db

    let first =
        run
            [
                "optimize"
                strategy
                "--trials"
                "2"
                "--sampler"
                "random"
                "--storage"
                storage
            ]

    Assert.True((first.ExitCode = 0), first.Error)
    let before = trialsIn db

    let refused (args: string list) =
        let o = run ([ "optimize"; strategy; "--storage"; storage ] @ args)
        Assert.Equal(2, o.ExitCode)
        Assert.Equal(1, o.Error.Trim().Split('\n').Length)
        o.Error.Trim()

    Assert.StartsWith(
        "error: strategies/momentum_long_short.strat: --objective: no metric 'sharp'; the metrics are sharpe,",
        refused [ "--objective"; "sharp" ]
    )

    Assert.Equal(
        "error: strategies/momentum_long_short.strat: --constraint: constraint 'maxdd <': expected a number after 'maxdd <', found 'nothing'",
        refused [ "--constraint"; "maxdd <" ]
    )

    Assert.Equal(
        "error: strategies/momentum_long_short.strat: 'win_rate' counts round trips, which weights accounting does not have; use --accounting ledger",
        refused [ "--accounting"; "weights"; "--objective"; "win_rate" ]
    )

    Assert.StartsWith(
        "error: study 'momentum_long_short' exists with another definition: objectives maximize sharpe there, minimize maxdd here;",
        refused [ "--objective"; "maxdd" ]
    )

    Assert.StartsWith(
        "error: study 'momentum_long_short' exists with another definition: trials scored on 'ledger; period ..; fee plan; min notional plan; capital 10000; folds 1, purge 0' there, 'ledger; period ..; fee plan; min notional plan; capital 10000; folds 3, purge 0' here",
        refused [ "--cv"; "walk-forward:folds=3" ]
    )

    Assert.StartsWith(
        "error: storage URL 'mysql://db/x': expected sqlite:PATH",
        refused [ "--storage"; "mysql://db/x" ]
    )

    Assert.Equal(
        "error: --timeout: expected a duration such as 2h, 30m, 90s or 1h30m, found '2 hours'",
        refused [ "--timeout"; "2 hours" ]
    )

    Assert.Equal<obj>(before |> List.map (snapshot >> box), trialsIn db |> List.map (snapshot >> box))

[<Fact>]
let ``a study killed with SIGKILL in mid-trial resumes, losing no finished trial and rerunning the interrupted one``
    ()
    =
    use folder = new TempFolder()
    let db = Path.Combine(folder.Path, "studies.db")

    let args =
        [
            "--storage"
            "sqlite:" + db
            "--cv"
            "walk-forward:folds=4"
            "--jobs"
            "1"
            "--sampler"
            "random"
        ]

    // kill until a kill lands while a trial runs (between two trials there is a moment with none)
    let mutable interrupted: FrozenTrial option = None
    let mutable finished: FrozenTrial list = []
    let mutable attempts = 0

    while interrupted.IsNone && attempts < 10 do
        attempts <- attempts + 1
        use p = start (args @ [ "--trials"; "1000" ])
        let target = count TrialState.Complete (trialsIn db) + 2

        while not p.HasExited && count TrialState.Complete (trialsIn db) < target do
            Thread.Sleep 20

        Assert.False(p.HasExited, "the study ended before it was killed")
        p.Kill()
        p.WaitForExit()
        let trials = trialsIn db
        interrupted <- trials |> List.tryFind (fun t -> t.State = TrialState.Running)
        finished <- trials |> List.filter (fun t -> t.IsFinished)

    Assert.True(interrupted.IsSome, "no kill landed in mid-trial in 10 attempts")
    let target = count TrialState.Complete finished + 3
    let o = run ([ "optimize"; strategy; "--trials"; string target ] @ args)
    Assert.True((o.ExitCode = 0), o.Error)
    let after = trialsIn db
    // every trial finished before the kill is there as it was
    for t in finished do
        Assert.Equal(snapshot t, snapshot (after |> List.find (fun a -> a.Number = t.Number)))

    let cut = after |> List.find (fun t -> t.Number = interrupted.Value.Number)
    Assert.Equal(TrialState.Failed, cut.State)
    Assert.EndsWith("stopped while it ran", cut.Attributes[TrialAttributes.Reason])

    let retry = after |> List.find (fun t -> retryOf t = string cut.Number)

    Assert.Equal(TrialState.Complete, retry.State)

    Assert.Equal<Collections.Generic.KeyValuePair<string, StrategyLab.Runtime.Plan.ScalarValue>>(
        cut.Params,
        retry.Params
    )

    Assert.Equal(target, count TrialState.Complete after)
    Assert.Equal(0, count TrialState.Running after)

/// Three `optimize` processes on one study at `storage`, the first killed after five trials
let private threeWorkers (folder: TempFolder) (storage: string) =
    let args =
        [ "--storage"; storage; "--jobs"; "1"; "--sampler"; "tpe"; "--trials"; "40" ]

    let workers = [ for _ in 1..3 -> start args ]

    while count TrialState.Complete (trialsAt storage) < 5 do
        Thread.Sleep 20

    workers[0].Kill()

    for w in workers do
        w.WaitForExit()

    Assert.True(workers[1].ExitCode = 0 && workers[2].ExitCode = 0, "a surviving worker failed")
    // the killed worker's running trial, if it had one, was failed and rerun by a survivor
    let o = run ([ "optimize"; strategy ] @ args)
    Assert.True((o.ExitCode = 0), o.Error)
    let trials = trialsAt storage
    Assert.Equal<int>([ 0 .. trials.Length - 1 ], trials |> List.map _.Number)
    Assert.Equal(40, count TrialState.Complete trials)
    Assert.Equal(0, count TrialState.Running trials)

    for failed in trials |> List.filter (fun t -> t.State = TrialState.Failed) do
        Assert.Contains(trials, fun t -> retryOf t = string failed.Number && t.State = TrialState.Complete)

    // each complete trial's value is its parameters' backtest: the workers measured the same thing
    for t in
        trials
        |> List.filter (fun t -> t.State = TrialState.Complete)
        |> List.truncate 3 do
        let values = t.Params |> Seq.map (fun p -> $"{p.Key}={p.Value}") |> List.ofSeq

        let b =
            run (
                [
                    "backtest"
                    strategy
                    "--json"
                    "--out"
                    Path.Combine(folder.Path, $"t{t.Number}")
                ]
                @ (values |> List.collect (fun v -> [ "--param"; v ]))
            )

        Assert.True((b.ExitCode = 0), b.Error)
        use json = JsonDocument.Parse b.Out

        let sharpe =
            json.RootElement.GetProperty("metrics").GetProperty("metrics").GetProperty("sharpe").GetDouble()

        Assert.Equal(sharpe, t.Values[0], 12)

[<Fact>]
let ``three workers share one SQLite study, one of them killed, and no trial number is given twice or lost`` () =
    use folder = new TempFolder()
    threeWorkers folder ("sqlite:" + Path.Combine(folder.Path, "studies.db"))

[<Fact>]
let ``three workers share one PostgreSQL study, one of them killed, and no trial number is given twice or lost`` () =
    use folder = new TempFolder()
    // a server of the test's own, on a free local port, stopped when the test ends
    use server = new StrategyLab.Tests.Servers.PostgresServer()
    threeWorkers folder (server.Url(server.CreateDatabase()))

[<Fact>]
let ``study list, show and delete read and remove what optimize stored`` () =
    use folder = new TempFolder()
    let storage = "sqlite:" + Path.Combine(folder.Path, "studies.db")

    let o =
        run
            [
                "optimize"
                strategy
                "--trials"
                "3"
                "--sampler"
                "random"
                "--study"
                "mom"
                "--constraint"
                "maxdd < 0.99"
                "--storage"
                storage
            ]

    Assert.True((o.ExitCode = 0), o.Error)
    let listed = run [ "study"; "list"; "--storage"; storage ]
    Assert.True((listed.ExitCode = 0), listed.Error)
    Assert.Contains("mom", listed.Out)
    Assert.Contains("3 complete", listed.Out)

    let shown = run [ "study"; "show"; "mom"; "--storage"; storage ]
    Assert.True((shown.ExitCode = 0), shown.Error)
    Assert.Contains("objectives: maximize sharpe; constraints: maxdd < 0.99", shown.Out)
    Assert.Contains("3 trials (3 complete)", shown.Out)

    let json = run [ "study"; "show"; "mom"; "--json"; "--storage"; storage ]
    Assert.True((json.ExitCode = 0), json.Error)
    use document = JsonDocument.Parse json.Out
    let trials = document.RootElement.GetProperty "trials"
    Assert.Equal(3, trials.GetArrayLength())
    Assert.All(trials.EnumerateArray(), (fun t -> Assert.Equal("complete", t.GetProperty("state").GetString())))

    let csv = Path.Combine(folder.Path, "trials.csv")
    let exported = run [ "study"; "export"; "mom"; "--out"; csv; "--storage"; storage ]
    Assert.True((exported.ExitCode = 0), exported.Error)
    let lines = File.ReadAllLines csv
    Assert.Equal(4, lines.Length)
    Assert.StartsWith("number,state,value:sharpe,", lines[0])

    let pageFolder = Path.Combine(folder.Path, "page")

    let report =
        run [ "study"; "report"; "mom"; "--out"; pageFolder; "--storage"; storage ]

    Assert.True((report.ExitCode = 0), report.Error)
    Assert.Contains("probability of backtest overfitting (CSCV): ", report.Out)
    Assert.True(File.Exists(Path.Combine(pageFolder, "study.html")))
    Assert.True(File.Exists(Path.Combine(pageFolder, "best", "report.html")))

    let deleted = run [ "study"; "delete"; "mom"; "--storage"; storage ]
    Assert.True((deleted.ExitCode = 0), deleted.Error)
    let again = run [ "study"; "show"; "mom"; "--storage"; storage ]
    Assert.Equal(2, again.ExitCode)
    Assert.Equal($"error: no study named 'mom' in storage {storage}", again.Error.Trim())

[<Fact>]
let ``optimize --walk-forward chooses on each in-sample window and reports the stitched out-of-sample bars`` () =
    use folder = new TempFolder()
    let storage = "sqlite:" + Path.Combine(folder.Path, "studies.db")

    let args =
        [
            "optimize"
            strategy
            "--trials"
            "3"
            "--sampler"
            "random"
            "--walk-forward"
            "rolling:train=600,test=400,purge=5"
            "--storage"
            storage
            "--out"
            Path.Combine(folder.Path, "wf")
        ]

    let o = run (args @ [ "--json" ])
    Assert.True((o.ExitCode = 0), o.Error)
    use json = JsonDocument.Parse o.Out
    let windows = json.RootElement.GetProperty "windows"
    Assert.Equal(4, windows.GetArrayLength())
    // 2,125 daily bars; the first out-of-sample bar is 600 + 5 after the first
    Assert.Equal(2125 - 605, json.RootElement.GetProperty("outOfSample").GetProperty("bars").GetInt32())

    Assert.Equal<string>(
        [
            "momentum_long_short/wf-0"
            "momentum_long_short/wf-1"
            "momentum_long_short/wf-2"
            "momentum_long_short/wf-3"
        ],
        windows.EnumerateArray()
        |> Seq.map (fun w -> w.GetProperty("study").GetString() |> nonNull)
    )

    // the page: the last window's study with the stitched record, and the chosen trial's report
    let page = File.ReadAllText(Path.Combine(folder.Path, "wf", "study.html"))
    Assert.Contains("momentum_long_short/wf-3", page)
    Assert.True(File.Exists(Path.Combine(folder.Path, "wf", "best", "report.html")))

    let both = run (args @ [ "--cv"; "walk-forward:folds=3" ])
    Assert.Equal(2, both.ExitCode)

    Assert.Equal(
        "error: strategies/momentum_long_short.strat: --walk-forward scores each in-sample window whole: give --cv or --walk-forward, not both",
        both.Error.Trim()
    )

[<Fact>]
let ``Ctrl+C stops a study after its running trials and keeps every finished one`` () =
    use folder = new TempFolder()
    let db = Path.Combine(folder.Path, "studies.db")

    use p =
        startInterruptible
            [
                "optimize"
                strategy
                "--trials"
                "1000"
                "--jobs"
                "1"
                "--sampler"
                "random"
                "--storage"
                "sqlite:" + db
            ]

    let out = p.StandardOutput.ReadToEndAsync()
    // the first finished trial is logged on standard error; interrupt the study then, as Ctrl+C does
    Assert.StartsWith("momentum_long_short: 1/1000 trials", p.StandardError.ReadLine())
    interrupt p
    let rest = p.StandardError.ReadToEnd()
    Assert.True(p.WaitForExit(TimeSpan.FromMinutes 5.0), "the study did not stop")
    Assert.True((p.ExitCode = 0), rest)
    Assert.Contains("stopping after the running trials", rest)
    Assert.Contains("stopped because it was interrupted", out.Result)
    let trials = trialsIn db
    Assert.InRange(trials.Length, 1, 999)
    Assert.All(trials, (fun t -> Assert.Equal(TrialState.Complete, t.State)))

// momentum whose count is searched only when sizing is "searched"; every other trial runs with k = 5
let private conditionalMomentum =
    "strategy conditional_momentum\n"
    + "data daily_top100\n"
    + "bar 1d\n"
    + "universe top 100 by market_cap\n"
    + "param lookback = 20 in 5..60 by 5\n"
    + "param sizing = \"fixed\" in [\"fixed\", \"searched\"]\n"
    + "param k = 5 in 3..10 when sizing = \"searched\"\n"
    + "signal momentum = return(close, lookback)\n"
    + "portfolio long top k by momentum, short bottom k by momentum, equal weight\n"
    + "rebalance every bar\n"
    + "costs fee 5 bps\n"

[<Fact>]
let ``optimize gives a conditional parameter a value only in trials where its condition holds`` () =
    use folder = new TempFolder()
    let file = folder.Write "conditional.strat" conditionalMomentum
    let storage = "sqlite:" + Path.Combine(folder.Path, "studies.db")

    // more trials than TPE's 10 random start-up trials, so that TPE's own proposals are among them
    let o =
        run
            [
                "optimize"
                file
                "--trials"
                "16"
                "--sampler"
                "tpe"
                "--seed"
                "7"
                "--jobs"
                "1"
                "--storage"
                storage
            ]

    Assert.True((o.ExitCode = 0), o.Error)

    let trials =
        use s = StudyStorage.Open storage

        match s.Find "conditional_momentum" with
        | null -> failwith "optimize stored no study conditional_momentum"
        | study -> s.Trials study.Id |> List.ofSeq

    Assert.Equal(16, count TrialState.Complete trials)

    let searched (t: FrozenTrial) =
        t.Params["sizing"] = ScalarValue.Of "searched"

    for t in trials do
        let expected =
            if searched t then
                [ "k"; "lookback"; "sizing" ]
            else
                [ "lookback"; "sizing" ]

        Assert.Equal<string list>(expected, t.Params.Keys |> Seq.sort |> List.ofSeq)

    Assert.Contains(trials, (fun t -> searched t))
    Assert.Contains(trials, (fun t -> not (searched t)))

    // study show --json and export leave k out of a trial that has none, as an absent property and an empty field
    let json =
        run [ "study"; "show"; "conditional_momentum"; "--json"; "--storage"; storage ]

    Assert.True((json.ExitCode = 0), json.Error)
    use document = JsonDocument.Parse json.Out

    for t in document.RootElement.GetProperty("trials").EnumerateArray() do
        let ps = t.GetProperty "params"
        let hasK, _ = ps.TryGetProperty "k"
        Assert.Equal(ps.GetProperty("sizing").GetString() = "searched", hasK)

    let csv = Path.Combine(folder.Path, "trials.csv")

    let exported =
        run
            [
                "study"
                "export"
                "conditional_momentum"
                "--out"
                csv
                "--storage"
                storage
            ]

    Assert.True((exported.ExitCode = 0), exported.Error)
    let lines = File.ReadAllLines csv
    let header = lines[0].Split ','
    let k = Array.IndexOf(header, "param:k")
    let sizing = Array.IndexOf(header, "param:sizing")
    Assert.True(k > 0 && sizing > 0, lines[0])
    Assert.Equal(17, lines.Length)

    for line in lines[1..] do
        let fields = line.Split ','
        Assert.Equal(fields[sizing] = "searched", fields[k] <> "")

[<Fact>]
let ``backtest refuses a value for a parameter whose condition does not hold, and names the condition`` () =
    use folder = new TempFolder()
    let file = folder.Write "conditional.strat" conditionalMomentum
    let refused = run [ "backtest"; file; "--param"; "k=7" ]
    Assert.Equal(2, refused.ExitCode)

    Assert.Equal(
        $"error: %s{file}: --param k: k is used only when sizing is \"searched\", and sizing is \"fixed\"; leave k out or change sizing",
        refused.Error.Trim()
    )

    let taken =
        run
            [
                "backtest"
                file
                "--param"
                "sizing=searched"
                "--param"
                "k=7"
                "--out"
                Path.Combine(folder.Path, "run")
            ]

    Assert.True((taken.ExitCode = 0), taken.Error)
