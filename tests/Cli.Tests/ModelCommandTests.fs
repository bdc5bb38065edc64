module StrategyLab.Cli.Tests.ModelCommandTests

open System
open System.IO
open Xunit
open StrategyLab.Cli
open StrategyLab.Cli.Tests.Cli
open StrategyLab.Runtime.Data
open StrategyLab.Runtime.Models.Training

// a ridge model over three returns on the bundled daily data: 7 folds of 250 days, fast to train
let private linear =
    """strategy lin_daily "A ridge model ranks coins by the next day's return"
data daily_top100
bar 1d
universe top 50 by market_cap

param k = 5 in 3..10

label next = forward_return(close, 1)

model lin = linear(inputs: [return(close, 1), return(close, 5), return(close, 20)], l2: 10)
    learn next
    train walk_forward(train: 500, test: 250, purge: 1)

signal score = lin

portfolio long top k by score, short bottom k by score, equal weight
costs fee 10 bps
"""

let private lines (text: string) (prefix: string) =
    text.Split('\n') |> Array.filter (fun l -> l.TrimStart().StartsWith prefix)

[<Fact>]
let ``train prints every fold and a second run reads them from the store`` () =
    use folder = new TempFolder()
    let file = folder.Write "lin.strat" linear
    let models = Path.Combine(folder.Path, "models")
    let first = run [ "train"; file; "--models"; models ]
    Assert.Equal(0, first.ExitCode)
    Assert.Equal(7, (lines first.Out "lin ").Length)
    Assert.Contains("1/7", first.Out)
    Assert.Contains("train mse", first.Out)
    Assert.Contains("lin_daily: 7 fold(s) trained, 0 read from", first.Out)
    // progress, one line per fold when the output is not a terminal
    Assert.Contains("training lin fold 7/7: 100% done", first.Error)
    let second = run [ "train"; file; "--models"; models ]
    Assert.Equal(0, second.ExitCode)
    Assert.Contains("lin_daily: 0 fold(s) trained, 7 read from", second.Out)

    Assert.Equal(
        7,
        (lines second.Out "lin ")
        |> Array.filter (fun l -> l.Contains "stored")
        |> Array.length
    )

    let again = run [ "train"; file; "--models"; models; "--retrain" ]
    Assert.Contains("lin_daily: 7 fold(s) trained, 0 read from", again.Out)

[<Fact>]
let ``models prune keeps the given strategies' models and deletes other plans'`` () =
    use folder = new TempFolder()
    let file = folder.Write "lin.strat" linear
    // the same strategy with another l2 is another plan, trained into the same store
    let changed = folder.Write "lin2.strat" (linear.Replace("l2: 10", "l2: 20"))
    let models = Path.Combine(folder.Path, "models")
    Assert.Equal(0, (run [ "train"; file; "--models"; models ]).ExitCode)
    Assert.Equal(0, (run [ "train"; changed; "--models"; models ]).ExitCode)
    Assert.Equal(2, Directory.GetDirectories(models).Length)

    let dry = run [ "models"; "prune"; file; "--models"; models; "--dry-run" ]
    Assert.Equal(0, dry.ExitCode)

    Assert.Matches(
        Text.RegularExpressions.Regex(@"would delete [0-9a-f]{16} \(lin_daily\): 7 file\(s\), [0-9.]+ kB"),
        dry.Out
    )

    Assert.Matches(Text.RegularExpressions.Regex(@"would delete 1 plan\(s\), [0-9.]+ kB; 1 plan\(s\) kept"), dry.Out)
    Assert.Equal(2, Directory.GetDirectories(models).Length)

    let pruned = run [ "models"; "prune"; file; "--models"; models ]
    Assert.Equal(0, pruned.ExitCode)
    Assert.Contains("deleted 1 plan(s)", pruned.Out)
    Assert.Contains("1 plan(s) kept", pruned.Out)
    Assert.Equal(1, Directory.GetDirectories(models).Length)
    Assert.Contains("lin_daily: 0 fold(s) trained, 7 read from", (run [ "train"; file; "--models"; models ]).Out)
    Assert.Contains("lin_daily: 7 fold(s) trained, 0 read from", (run [ "train"; changed; "--models"; models ]).Out)

// the fold rows of a `train` table: model, fold, train range, test range
let private trainedFolds (text: string) =
    lines text "lin "
    |> Array.map (fun l ->
        let cells =
            l.Split("  ", StringSplitOptions.RemoveEmptyEntries) |> Array.map _.Trim()

        cells[0], cells[1].Split('/')[0], cells[2], cells[3])

[<Fact>]
let ``models prune --dry-run lists each fold file with its strategy, model, dates and size`` () =
    use folder = new TempFolder()
    let file = folder.Write "lin.strat" linear

    let changed =
        folder.Write "lin2.strat" (linear.Replace("lin_daily", "lin_wider").Replace("l2: 10", "l2: 20"))

    let models = Path.Combine(folder.Path, "models")
    Assert.Equal(0, (run [ "train"; file; "--models"; models ]).ExitCode)
    let trained = run [ "train"; changed; "--models"; models ]
    Assert.Equal(0, trained.ExitCode)

    let dry = run [ "models"; "prune"; file; "--models"; models; "--dry-run" ]
    Assert.Equal(0, dry.ExitCode)

    // one row per fold file: plan, strategy, model, fold, train range, test range, size
    let rows =
        dry.Out.Split('\n')
        |> Array.map _.Trim()
        |> Array.filter (fun l -> Text.RegularExpressions.Regex.IsMatch(l, "^[0-9a-f]{16} "))
        |> Array.map (fun l -> l.Split("  ", StringSplitOptions.RemoveEmptyEntries) |> Array.map _.Trim())

    Assert.Equal(7, rows.Length)

    let plan =
        Directory.GetDirectories(models)
        |> Array.find (fun d -> rows[0][0] = string (Path.GetFileName d))

    for row, (model, fold, train, test) in Array.zip rows (trainedFolds trained.Out) do
        Assert.Equal<string list>([ "lin_wider"; model; fold; train; test ], List.ofArray row[1..5])
        // the size on disk, in bytes, or in kB (1,000 bytes) to one decimal
        let bytes = FileInfo(Path.Combine(plan, "lin", $"fold-{int fold - 1}.slm")).Length

        match row[6].Split(' ') with
        | [| n; "B" |] -> Assert.Equal(bytes, int64 n)
        | [| n; "kB" |] -> Assert.Equal(float bytes / 1e3, float n, 0.05)
        | _ -> failwith $"size '{row[6]}'"

    Assert.Contains("(lin_wider): 7 file(s)", dry.Out)
    Assert.DoesNotContain("lin_daily", dry.Out)

[<Fact>]
let ``advise lists the targets and the changes against the book`` () =
    use folder = new TempFolder()
    let file = folder.Write "lin.strat" linear
    let book = folder.Write "book.csv" "symbol,weight\nBTC,0.3\n"
    let models = Path.Combine(folder.Path, "models")

    let o =
        run
            [
                "advise"
                file
                "--models"
                models
                "--at"
                "2025-10-24"
                "--book"
                book
                "--param"
                "k=4"
            ]

    Assert.Equal(0, o.ExitCode)
    Assert.Contains("lin_daily: advice for the bar of 2025-10-24 00:00 UTC", o.Out)
    // k = 4 on each side, equal weight, gross 1: 0.125 each
    Assert.Equal(4, (lines o.Out "long ").Length)
    Assert.Equal(4, (lines o.Out "short ").Length)

    Assert.Equal(
        8,
        (lines o.Out "long "
         |> Array.append (lines o.Out "short ")
         |> Array.filter (fun l -> l.Contains "0.125"))
            .Length
    )

    // longs from the highest score down, shorts from the lowest up
    let scores prefix =
        lines o.Out prefix
        |> Array.map (fun l ->
            Double.Parse(
                l.Split(' ', StringSplitOptions.RemoveEmptyEntries)[3],
                Globalization.CultureInfo.InvariantCulture
            ))

    Assert.Equal<float>(scores "long " |> Array.sortDescending, scores "long ")
    Assert.Equal<float>(scores "short " |> Array.sort, scores "short ")
    Assert.Contains("changes against the current book:", o.Out)
    let btc = lines o.Out "BTC " |> Array.last
    Assert.Contains("0.3", btc)

    // the data's last day has no market cap: without --at, advice falls back to the day before and says so
    let fallback = run [ "advise"; file; "--models"; models; "--param"; "k=4" ]
    Assert.Equal(0, fallback.ExitCode)
    Assert.Contains("note: the last bar (2025-10-25 00:00 UTC) has no market_cap for any asset", fallback.Out)
    Assert.Contains("lin_daily: advice for the bar of 2025-10-24 00:00 UTC", fallback.Out)
    Assert.Equal(4, (lines fallback.Out "long ").Length)

    let empty = run [ "advise"; file; "--models"; models; "--at"; "2025-10-24" ]
    Assert.Equal(0, empty.ExitCode)

    Assert.Equal(
        10,
        (lines empty.Out ""
         |> Array.filter (fun l -> l.Contains "open long" || l.Contains "open short"))
            .Length
    )

[<Fact>]
let ``a bad book is a usage error`` () =
    use folder = new TempFolder()
    let file = folder.Write "lin.strat" linear
    let book = folder.Write "book.csv" "NOPE,0.1\n"

    let o =
        run
            [
                "advise"
                file
                "--models"
                Path.Combine(folder.Path, "models")
                "--book"
                book
            ]

    Assert.Equal(2, o.ExitCode)
    Assert.Contains("'NOPE' is not an asset", o.Error)

[<Fact>]
let ``backtest trains a strategy's models and runs on their predictions`` () =
    use folder = new TempFolder()
    let file = folder.Write "lin.strat" linear
    let out = Path.Combine(folder.Path, "run")

    let o =
        run
            [
                "backtest"
                file
                "--models"
                Path.Combine(folder.Path, "models")
                "--out"
                out
            ]

    Assert.Equal(0, o.ExitCode)
    Assert.Contains("total return", o.Out)
    Assert.Contains("note: model 'lin': out-of-sample mse ", o.Out)
    Assert.True(File.Exists(Path.Combine(out, "report.html")))

[<Fact>]
let ``a training scheme longer than the data is refused naming the model`` () =
    use folder = new TempFolder()

    let file = folder.Write "long.strat" (linear.Replace("train: 500", "train: 5000"))

    let o = run [ "train"; file; "--models"; Path.Combine(folder.Path, "models") ]
    Assert.Equal(2, o.ExitCode)
    Assert.Contains("model 'lin': train 5000 + purge 1 + label horizon 1 bars leave no bar to predict", o.Error)

[<Fact>]
let ``advise on candles finer than the strategy's bar advises on the last closed bar of its own`` () =
    use folder = new TempFolder()

    let file =
        folder.Write
            "hourly.strat"
            """strategy hourly_ridge "A ridge model ranks BTC-quoted pairs hourly"
data btcquoted_5m
bar 1h
label next = forward_return(close, 1)
model lin = linear(inputs: [return(close, 1), return(close, 6)], l2: 10)
    learn next
    train walk_forward(train: 200, test: 100)
signal score = lin
portfolio long top 2 by score, short bottom 2 by score
"""

    let o = run [ "advise"; file; "--models"; Path.Combine(folder.Path, "models") ]

    Assert.Equal(0, o.ExitCode)
    // btcquoted_5m's last candles open at 2018-01-30 04:50: the hour from 04:00 has not closed, so the one from 03:00 is the last
    Assert.Contains("hourly_ridge: advice for the bar of 2018-01-30 03:00 UTC", o.Out)
    Assert.Contains("open long", o.Out)

// an LSTM with so many epochs that its first fold outlasts any test: it is killed, never finished
let private endless =
    """strategy endless_lstm "An LSTM that trains until it is stopped"
data daily_top100
bar 1d
universe top 20 by market_cap
label up = xs_percentile(forward_return(close, 1)) > 0.5
model net = lstm(inputs: [return(close, 1)], window: 5, hidden: 2, objective: "binary", epochs: 1000000, batch: 32)
    learn up
    train walk_forward(train: 500, test: 250, purge: 1)
signal score = net
portfolio long top 3 by score, short bottom 3 by score, equal weight
"""

/// Starts `strategylab args` without waiting for it
let private start (args: string list) =
    let info = Diagnostics.ProcessStartInfo("dotnet", WorkingDirectory = repositoryRoot)

    info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "strategylab.dll"))

    for a in args do
        info.ArgumentList.Add a

    info.RedirectStandardOutput <- true
    info.RedirectStandardError <- true

    match Diagnostics.Process.Start info with
    | null -> failwith "strategylab did not start"
    | p -> p

[<Fact>]
let ``models prune leaves alone a plan that a training in another process is writing, and clears its lock once the training is killed``
    ()
    =
    use folder = new TempFolder()
    let file = folder.Write "lin.strat" linear
    let slow = folder.Write "endless.strat" endless
    let models = Path.Combine(folder.Path, "models")
    Assert.Equal(0, (run [ "train"; file; "--models"; models ]).ExitCode)
    use training = start [ "train"; slow; "--models"; models ]
    let out = training.StandardOutput.ReadToEndAsync()

    try
        // its first epoch's progress line: by then it holds the plan folder's lock
        let rec firstEpoch () =
            match training.StandardError.ReadLine() with
            | null -> failwith $"the training ended before its first epoch: {out.Result}"
            | line when line.StartsWith "training net fold 1/" -> ()
            | _ -> firstEpoch ()

        firstEpoch ()

        training.StandardError.ReadToEndAsync() |> ignore

        for dryRun in [ true; false ] do
            let pruned =
                run (
                    [ "models"; "prune"; file; "--models"; models ]
                    @ (if dryRun then [ "--dry-run" ] else [])
                )

            Assert.Equal(0, pruned.ExitCode)

            Assert.Matches(
                Text.RegularExpressions.Regex(
                    $@"kept [0-9a-f]{{16}} \(endless_lstm\): a training is using it \(process {training.Id}, started [0-9-]+ [0-9:]+ UTC\)"
                ),
                pruned.Out
            )

            Assert.Contains("0 plan(s), 0 B; 2 plan(s) kept (1 in use by a training)", pruned.Out)
            Assert.Equal(2, Directory.GetDirectories(models).Length)
    finally
        if not training.HasExited then
            training.Kill true

    training.WaitForExit()
    // killed while training: its lock names it, but nobody holds the lock any more
    let pruned = run [ "models"; "prune"; file; "--models"; models ]
    Assert.Equal(0, pruned.ExitCode)

    Assert.Matches(
        Text.RegularExpressions.Regex(
            $@"deleted [0-9a-f]{{16}} \(endless_lstm\): 0 file\(s\), 0 B; its lock was left by process {training.Id}, started .* UTC, which ended while training"
        ),
        pruned.Out
    )

    Assert.Equal(1, Directory.GetDirectories(models).Length)
    Assert.Contains("lin_daily: 0 fold(s) trained, 7 read from", (run [ "train"; file; "--models"; models ]).Out)

[<Fact>]
let ``a folder where the model store keeps a fold file is a one-line error that leaves the folder alone`` () =
    use folder = new TempFolder()
    let file = folder.Write "lin.strat" linear
    let models = Path.Combine(folder.Path, "models")
    Assert.Equal(0, (run [ "train"; file; "--models"; models ]).ExitCode)
    let plan = Directory.GetDirectories(models) |> Array.exactlyOne
    let fold = Path.Combine(plan, "lin", "fold-2.slm")
    File.Delete fold
    Directory.CreateDirectory fold |> ignore
    File.WriteAllText(Path.Combine(fold, "notes.txt"), "mine")

    for command in [ "train"; "backtest" ] do
        let o = run [ command; file; "--models"; models ]
        Assert.Equal(1, o.ExitCode)

        Assert.Equal(
            $"error: {fold} is a folder, where the model store keeps a fold model file; move or delete the folder",
            o.Error.Trim().Split('\n') |> Array.last
        )

        Assert.Equal("mine", File.ReadAllText(Path.Combine(fold, "notes.txt")))

// a small LSTM over 120-day windows of returns: three folds, each quick to train
let private smallLstm =
    """strategy small_lstm "An LSTM over 120 days of returns"
data daily_top100
bar 1d
universe top 30 by market_cap
label up = xs_percentile(forward_return(close, 1)) > 0.5
model net = lstm(inputs: [return(close, 1)], window: 120, hidden: 2, objective: "binary", epochs: 1, batch: 256, ensemble: 2, seed: 3)
    learn up
    train walk_forward(train: 750, test: 500, purge: 1)
signal score = net
portfolio long top 3 by score, short bottom 3 by score, equal weight
"""

let private trainIn (store: ModelStore) (plan: StrategyLab.Runtime.Plan.StrategyPlan) (panel: Panel) =
    StrategyModels.Train(plan, panel, plan.DefaultParameters(), store)

[<Fact>]
let ``a stored fold is read without building its training or test rows, and predicts what was trained, bit for bit``
    ()
    =
    use folder = new TempFolder()
    let plan = StrategyCommands.compileFile (folder.Write "small.strat" smallLstm)
    use panel = DataStore(Path.Combine(repositoryRoot, "data")).Load(plan.Dataset).Panel
    let store = ModelStore(Path.Combine(folder.Path, "models"))
    let trained = trainIn store plan panel
    Assert.All(trained.Folds, fun f -> Assert.False f.Reused)
    let before = GC.GetAllocatedBytesForCurrentThread()
    let stored = trainIn store plan panel
    let allocated = GC.GetAllocatedBytesForCurrentThread() - before
    Assert.All(stored.Folds, fun f -> Assert.True f.Reused)
    Assert.Equal<float>(trained.Predictions["net"], stored.Predictions["net"])
    // a training row is 120 returns of 8 bytes: reading every fold takes less than building their training rows
    let rows = stored.Folds |> Seq.sumBy (fun f -> int64 f.Rows * 120L * 8L)

    Assert.True(
        allocated < rows,
        $"reading the stored folds allocated {allocated} bytes, their training rows take {rows}"
    )

[<Fact>]
let ``a stored fold whose test bars changed predicts them again from the stored model, without retraining`` () =
    use folder = new TempFolder()
    let plan = StrategyCommands.compileFile (folder.Write "small.strat" smallLstm)
    use whole = DataStore(Path.Combine(repositoryRoot, "data")).Load(plan.Dataset).Panel
    let store = ModelStore(Path.Combine(folder.Path, "models"))
    let full = trainIn store plan whole
    // the data cut inside the last fold's test period: its model stands, its test rows are fewer
    let last = full.Folds |> Seq.last
    use cut = whole.Slice(0, last.TestStart + 100)
    let unstored = StrategyModels.Train(plan, cut, plan.DefaultParameters())

    for _ in 1..2 do
        let read = trainIn store plan cut
        Assert.All(read.Folds, fun f -> Assert.True(f.Reused, $"fold {f.Fold}"))
        Assert.Equal<float>(unstored.Predictions["net"], read.Predictions["net"])

    // and back on the whole data, the predictions of the first training
    Assert.Equal<float>(full.Predictions["net"], (trainIn store plan whole).Predictions["net"])

[<Fact>]
let ``a fitted ensemble's folds read back with their weights and predict what was trained, bit for bit, on the whole data or cut``
    ()
    =
    use folder = new TempFolder()

    let blend =
        linear.Replace(
            "signal score = lin",
            """model mom = linear(inputs: [return(close, 5), return(close, 20)], l2: 10)
    learn next
    train walk_forward(train: 500, test: 250, purge: 1)
model blend = ensemble(members: [lin, mom], fit_weights: true)
    learn next
    train walk_forward(train: 500, test: 250, purge: 1, validation: 100)
signal score = blend"""
        )

    let plan = StrategyCommands.compileFile (folder.Write "blend.strat" blend)
    use whole = DataStore(Path.Combine(repositoryRoot, "data")).Load(plan.Dataset).Panel
    let store = ModelStore(Path.Combine(folder.Path, "models"))
    let trained = trainIn store plan whole

    let blendFolds (r: ModelTrainingResult) =
        r.Folds |> Seq.filter (fun f -> f.Model = "blend")

    Assert.All(blendFolds trained, fun f -> Assert.StartsWith("weights lin ", f.Metric))
    let stored = trainIn store plan whole
    Assert.All(stored.Folds, fun f -> Assert.True f.Reused)
    // the weights as fitted, read back
    for t, s in Seq.zip (blendFolds trained) (blendFolds stored) do
        Assert.Equal("read from the model store; " + t.Metric.Split(" on ")[0], s.Metric)

    Assert.Equal<float>(trained.Predictions["blend"], stored.Predictions["blend"])
    use cut = whole.Slice(0, (blendFolds trained |> Seq.last).TestStart + 60)
    let unstored = StrategyModels.Train(plan, cut, plan.DefaultParameters())
    let read = trainIn store plan cut
    Assert.All(read.Folds, fun f -> Assert.True f.Reused)
    Assert.Equal<float>(unstored.Predictions["blend"], read.Predictions["blend"])
