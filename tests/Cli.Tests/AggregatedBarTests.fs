/// A strategy whose bar is coarser than its dataset's candles backtests on candles aggregated to its bar
module StrategyLab.Cli.Tests.AggregatedBarTests

open System
open System.IO
open Xunit
open StrategyLab.Runtime.Backtest
open StrategyLab.Runtime.Compute
open StrategyLab.Runtime.Data
open StrategyLab.Runtime.Evaluation
open StrategyLab.Runtime.Runs
open StrategyLab.Runtime.Portfolio
open StrategyLab.Strategy.Dsl
open StrategyLab.Cli.Tests.Cli

let private hourly =
    """strategy hourly_momentum "Day-long momentum on hourly bars of 5-minute candles"
data btcquoted_5m
bar 1h

signal momentum = return(close, 24)

portfolio long top 2 by momentum, short bottom 2 by momentum
costs fee 10 bps
"""

let private compile (text: string) =
    match Compiler.compile "hourly.strat" text with
    | Ok p -> p
    | Error d -> failwithf "%A" d

let private note =
    "candles of 5m aggregated to 1h; 15 bar(s) built from incomplete candles (25 asset candles); the unclosed last bar left out"

[<Fact>]
let ``a 1h strategy on 5m candles trades what the hand-built pipeline trades on the aggregated candles`` () =
    let store = DataStore(Path.Combine(repositoryRoot, "data"))
    use panel = store.ParseCsv(store.Catalog.Get "btcquoted_5m", ImportLog())
    use run = PreparedRun.Prepare(compile hourly, panel)
    use result = run.Backtest(run.Defaults, RunSettings.Default)

    Assert.Equal("1h", string result.Panel.Interval)
    Assert.Equal(480, result.Panel.TimeCount)
    Assert.Equal<string>([ note ], result.Notes)

    use bars = (Resample.To(panel, Interval.Parse "1h")).Panel
    let a = bars.AssetCount
    let close = bars.Column("close").ToArray()
    let momentum = Array.zeroCreate close.Length
    SimpleReturn.Compute(ReadOnlySpan close, Span momentum, a, 24)
    let weights = Array.zeroCreate close.Length
    TopBottomKPortfolio(a, 2, 2).Compute(ReadOnlySpan momentum, ReadOnlySpan<bool>.Empty, Span weights)

    let expected =
        LedgerBacktest.Run(bars, ReadOnlySpan weights, LedgerOptions(TakerFee = 0.001, MakerFee = 0.001))

    Assert.Equal<float>(expected.Equity, result.Ledger.Equity)
    Assert.True(expected.Fills.Count > 0)
    Assert.Equal(expected.Fills.Count, result.Ledger.Fills.Count)

[<Fact>]
let ``backtest of a 1h strategy on 5m candles runs and notes the aggregation`` () =
    use folder = new TempFolder()
    let file = folder.Write "hourly.strat" hourly

    let o = run [ "backtest"; file; "--out"; Path.Combine(folder.Path, "run") ]

    Assert.Equal(0, o.ExitCode)
    Assert.Contains("hourly_momentum on btcquoted_5m: 480 bars, 10 assets", o.Out)
    Assert.Contains("note: " + note, o.Out)

[<Fact>]
let ``a bar finer than the data's candles is refused naming both`` () =
    use folder = new TempFolder()
    let file = folder.Write "minutely.strat" (hourly.Replace("bar 1h", "bar 1m"))
    let o = run [ "backtest"; file ]
    Assert.Equal(2, o.ExitCode)

    Assert.Equal(
        $"error: {file}: strategy 'hourly_momentum' on dataset 'btcquoted_5m': 1m bars are finer than the data's 5m candles; candles can only be aggregated into coarser bars",
        o.Error.Trim()
    )
