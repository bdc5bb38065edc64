module StrategyLab.Cli.Tests.EvaluateCommandTests

open System
open System.IO
open System.Text.Json
open Xunit
open StrategyLab.Runtime.Backtest.Reports
open StrategyLab.Runtime.Compute
open StrategyLab.Runtime.Data
open StrategyLab.Runtime.Evaluation
open StrategyLab.Runtime.Plan
open StrategyLab.Runtime.Research
open StrategyLab.Runtime.Runs
open StrategyLab.Strategy.Dsl
open StrategyLab.Cli.Tests.Cli

let private momentumFile =
    Path.Combine(repositoryRoot, "strategies", "momentum_long_short.strat")

let private plan () =
    match Compiler.compile momentumFile (File.ReadAllText momentumFile) with
    | Ok p -> p
    | Error d -> failwithf "%A" d

let private oneLine (text: string) =
    let lines = text.Trim().Split('\n')
    Assert.True(lines.Length = 1, $"expected one line, found:\n{text}")
    lines[0]

[<Fact>]
let ``the evaluation of momentum_long_short is the analysis of the hand-built signal`` () =
    let store = DataStore(Path.Combine(repositoryRoot, "data"))
    use panel = store.ParseCsv(store.Catalog.Get "daily_top100", ImportLog())

    use run = PreparedRun.Prepare(plan (), panel)

    let evaluation =
        run.EvaluateSignal(run.Defaults, RunSettings.Default, SignalEvaluationOptions())

    // the same from the building blocks: 20-bar return on the top 100 by market cap, against the next bar's return
    let a = panel.AssetCount
    let close = panel.Column("close").ToArray()
    let momentum = Array.zeroCreate close.Length
    SimpleReturn.Compute(ReadOnlySpan close, Span momentum, a, 20)

    let universe =
        TopNUniverse(100, "market_cap").Select(panel, UniverseRule.EveryNthBar(panel.TimeCount, 1))

    let signal =
        Array.init momentum.Length (fun i -> if universe[i] then momentum[i] else nan)

    let forward = Array.zeroCreate close.Length
    Forward.Return(ReadOnlySpan close, Span forward, a, 1)

    let expected =
        SignalAnalysis.Analyze(ReadOnlySpan signal, ReadOnlySpan forward, a, panel.Times, 10, QuantileScope.Timestamp)

    Assert.Equal("momentum", evaluation.Signal)
    Assert.Equal("forward_return(close, 1)", evaluation.Target)
    Assert.Equal<QuantileRow>(expected.Quantiles :> seq<_>, evaluation.Analysis.Quantiles :> seq<_>)
    Assert.Equal(expected.Spread, evaluation.Analysis.Spread)
    Assert.Equal(expected.InformationCoefficient, evaluation.Analysis.InformationCoefficient)
    Assert.Equal(expected.DirectionalAccuracy, evaluation.Analysis.DirectionalAccuracy)
    Assert.True(expected.Pairs > 10000L)

[<Fact>]
let ``evaluate prints the quantile table, the spread, the IC and the accuracy`` () =
    let o = run [ "evaluate"; "strategies/momentum_long_short.strat" ]
    Assert.Equal(0, o.ExitCode)
    Assert.Contains("signal momentum against forward_return(close, 1), 10 bins by timestamp", o.Out)
    Assert.Contains("mean fwd return (bps)", o.Out)

    for bin in 1..10 do
        Assert.Matches($"(?m)^\\s*{bin}\\s+-?[0-9]+\\.[0-9]{{2}}\\s+[0-9]+\\s+[0-9.]+%%", o.Out)

    Assert.Contains("top − bottom spread:", o.Out)
    Assert.Matches("IC: mean -?[0-9.]+, std [0-9.]+, t -?[0-9.]+ over [0-9]+ timestamps; pooled IC -?[0-9.]+", o.Out)
    Assert.Contains("directional accuracy:", o.Out)
    Assert.Equal("", o.Error)

[<Fact>]
let ``usage errors exit 2 with one line`` () =
    let scope =
        run [ "evaluate"; "strategies/momentum_long_short.strat"; "--scope"; "week" ]

    Assert.Equal(2, scope.ExitCode)
    Assert.Equal("error: --scope: expected timestamp or date, found 'week'", oneLine scope.Error)

    let bins = run [ "evaluate"; "strategies/momentum_long_short.strat"; "--bins"; "1" ]

    Assert.Equal(2, bins.ExitCode)
    Assert.Equal("error: --bins: expected at least 2, found 1", oneLine bins.Error)

    let signal =
        run [ "evaluate"; "strategies/momentum_long_short.strat"; "--signal"; "momentun" ]

    Assert.Equal(2, signal.ExitCode)

    let both =
        run
            [
                "evaluate"
                "strategies/momentum_long_short.strat"
                "--horizon"
                "3"
                "--label"
                "next"
            ]

    Assert.Equal(2, both.ExitCode)

    Assert.Equal(
        "error: --horizon and --label: a label looks as far ahead as it is written to; give one or the other",
        oneLine both.Error
    )

    Assert.Equal(
        "error: strategies/momentum_long_short.strat: --signal momentun: strategy 'momentum_long_short' has no let or signal 'momentun'; choose one of momentum",
        oneLine signal.Error
    )

[<Fact>]
let ``a portfolio without a signal names the series --signal can pick`` () =
    let o = run [ "evaluate"; "strategies/ma_crossover.strat" ]
    Assert.Equal(2, o.ExitCode)
    Assert.EndsWith("pick one with --signal: fast_ma, slow_ma", oneLine o.Error)

[<Fact>]
let ``a signal that reads a model is evaluated on the model's walk-forward predictions`` () =
    use folder = new TempFolder()

    let file =
        folder.Write
            "ridge.strat"
            """strategy ridge "A ridge model ranks coins by the next day's return"
data daily_top100
bar 1d
universe top 50 by market_cap
label next = forward_return(close, 1)
model lin = linear(inputs: [return(close, 1), return(close, 5)], l2: 10)
    learn next
    train walk_forward(train: 500, test: 250, purge: 1)
signal score = lin
portfolio long top 5 by score, short bottom 5 by score
"""

    let o = run [ "evaluate"; file; "--bins"; "5" ]
    Assert.Equal(0, o.ExitCode)
    Assert.Contains("IC: mean ", o.Out)
    Assert.Contains("directional accuracy: ", o.Out)

[<Fact>]
let ``evaluate --out writes evaluation.json with the bins`` () =
    use folder = new TempFolder()
    let out = Path.Combine(folder.Path, "eval")

    let o =
        run
            [
                "evaluate"
                "strategies/momentum_long_short.strat"
                "--bins"
                "5"
                "--from"
                "2023-01-01"
                "--out"
                out
            ]

    Assert.Equal(0, o.ExitCode)

    use json =
        JsonDocument.Parse(File.ReadAllText(Path.Combine(out, "evaluation.json")))

    let root = json.RootElement
    Assert.Equal("momentum", root.GetProperty("signal").GetString())
    Assert.StartsWith("2023-01-01", root.GetProperty("from").GetString())
    let analysis = root.GetProperty "analysis"
    Assert.Equal(5, analysis.GetProperty("bins").GetInt32())
    Assert.Equal("timestamp", analysis.GetProperty("scope").GetString())
    let bins = analysis.GetProperty("quantiles").EnumerateArray() |> Seq.toList
    Assert.Equal<int list>([ 1..5 ], bins |> List.map (fun b -> b.GetProperty("bin").GetInt32()))

    Assert.Equal(
        analysis.GetProperty("pairs").GetInt64(),
        bins |> List.sumBy (fun b -> b.GetProperty("count").GetInt64())
    )

    Assert.Equal("above_median", analysis.GetProperty("directional_accuracy").GetProperty("kind").GetString())

[<Fact>]
let ``a label measures the signal as the forward return it spells out does`` () =
    let source =
        (File.ReadAllText momentumFile)
            .Replace("signal momentum =", "label next = forward_return(close, 2)\nsignal momentum =")

    let withLabel =
        match Compiler.compile "labelled.strat" source with
        | Ok p -> p
        | Error d -> failwithf "%A" d

    let store = DataStore(Path.Combine(repositoryRoot, "data"))
    use panel = store.ParseCsv(store.Catalog.Get "daily_top100", ImportLog())

    use run = PreparedRun.Prepare(withLabel, panel)

    let byLabel =
        run.EvaluateSignal(run.Defaults, RunSettings.Default, SignalEvaluationOptions(Label = "next"))

    let byHorizon =
        run.EvaluateSignal(run.Defaults, RunSettings.Default, SignalEvaluationOptions(Horizon = 2))

    Assert.Equal("label next", byLabel.Target)
    Assert.Equal("forward_return(close, 2)", byHorizon.Target)
    Assert.Equal<QuantileRow>(byHorizon.Analysis.Quantiles :> seq<_>, byLabel.Analysis.Quantiles :> seq<_>)
    Assert.Equal(byHorizon.Analysis.InformationCoefficient, byLabel.Analysis.InformationCoefficient)

    let e =
        Assert.Throws<PlanException>(fun () ->
            run.EvaluateSignal(run.Defaults, RunSettings.Default, SignalEvaluationOptions(Label = "nxt"))
            |> ignore)

    Assert.Equal("--label nxt: strategy 'momentum_long_short' has no label 'nxt'; choose one of next", e.Message)
