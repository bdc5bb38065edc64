module StrategyLab.Cli.Tests.StrategyCommandTests

open System
open System.IO
open System.Text.RegularExpressions
open Xunit
open StrategyLab.Runtime.Backtest
open StrategyLab.Runtime.Compute
open StrategyLab.Runtime.Data
open StrategyLab.Runtime.Evaluation
open StrategyLab.Runtime.Runs
open StrategyLab.Runtime.Portfolio
open StrategyLab.Strategy.Dsl
open StrategyLab.Cli.Tests.Cli

let private momentumFile =
    Path.Combine(repositoryRoot, "strategies", "momentum_long_short.strat")

let private plan () =
    match Compiler.compile momentumFile (File.ReadAllText momentumFile) with
    | Ok p -> p
    | Error d -> failwithf "%A" d

[<Fact>]
let ``the plan of momentum_long_short trades exactly what the hand-built pipeline trades`` () =
    let store = DataStore(Path.Combine(repositoryRoot, "data"))
    use panel = store.ParseCsv(store.Catalog.Get "daily_top100", ImportLog())
    use run = PreparedRun.Prepare(plan (), panel)
    use result = run.Backtest(run.Defaults, RunSettings.Default)

    // the same strategy from the building blocks: top 100 by market cap, 20-bar return, top/bottom 5, 5 bps
    let a = panel.AssetCount
    let close = panel.Column("close").ToArray()
    let momentum = Array.zeroCreate close.Length
    SimpleReturn.Compute(ReadOnlySpan close, Span momentum, a, 20)

    let universe =
        TopNUniverse(100, "market_cap").Select(panel, UniverseRule.EveryNthBar(panel.TimeCount, 1))

    let weights = Array.zeroCreate close.Length
    TopBottomKPortfolio(a, 5, 5).Compute(ReadOnlySpan momentum, ReadOnlySpan universe, Span weights)
    let options = LedgerOptions(TakerFee = 0.0005, MakerFee = 0.0005)
    let expected = LedgerBacktest.Run(panel, ReadOnlySpan weights, options)

    Assert.Equal<float>(expected.Equity, result.Ledger.Equity)
    Assert.Equal(expected.Fills.Count, result.Ledger.Fills.Count)

[<Fact>]
let ``backtest writes a run folder and prints the summary`` () =
    use folder = new TempFolder()
    let out = Path.Combine(folder.Path, "run")

    let o =
        run
            [
                "backtest"
                "strategies/momentum_long_short.strat"
                "--from"
                "2023-01-01"
                "--out"
                out
            ]

    Assert.Equal(0, o.ExitCode)
    Assert.Contains("total return", o.Out)

    // redirected output keeps a long note on one line (this one is over 160 characters)
    Assert.Matches(
        Regex(@"(?m)^note: 2 order attempt\(s\) did not fill in full: .*, or the participation cap\.\r?$"),
        o.Out
    )

    for file in [ "manifest.json"; "metrics.json"; "equity.csv"; "trades.csv"; "report.html" ] do
        Assert.True(File.Exists(Path.Combine(out, file)), file)

    let equity = File.ReadAllLines(Path.Combine(out, "equity.csv"))
    Assert.StartsWith("2023-01-01,", equity[1])

    // the report analyses the signal the portfolio trades on
    Assert.Contains("signal IC (mean)", o.Out)
    Assert.Contains("signal IC t-stat", o.Out)
    Assert.Contains("directional accuracy", o.Out)

    use json =
        Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(out, "metrics.json")))

    Assert.Equal(10, json.RootElement.GetProperty("quantiles").GetArrayLength())

    let ic =
        json.RootElement.GetProperty("signal_analysis").GetProperty("information_coefficient")

    Assert.True(ic.GetProperty("per_period").GetProperty("periods").GetInt32() > 300)

[<Fact>]
let ``a parameter outside its range is refused before any work`` () =
    let o =
        run [ "backtest"; "strategies/momentum_long_short.strat"; "--param"; "k=50" ]

    Assert.Equal(2, o.ExitCode)

    Assert.Equal(
        "error: strategies/momentum_long_short.strat: --param k: 50 is outside its range 3..10",
        o.Error.Trim()
    )

[<Fact>]
let ``check reports every strategy file as ok and a broken one with its position`` () =
    let ok =
        run
            [
                "check"
                "strategies/momentum_long_short.strat"
                "strategies/ma_crossover.strat"
            ]

    Assert.Equal(0, ok.ExitCode)
    use folder = new TempFolder()

    let bad =
        folder.Write "bad.strat" "strategy bad\ndata daily_top100\nbar 1d\nsignal s = rsii(close, 14)\n"

    let o = run [ "check"; bad ]
    Assert.Equal(2, o.ExitCode)
    Assert.Contains("bad.strat(4,", o.Error)
    Assert.Contains("rsii", o.Error)

[<Fact>]
let ``fmt --check passes on the bundled strategies`` () =
    let o = run [ "fmt"; "strategies/momentum_long_short.strat"; "--check" ]
    Assert.Equal(0, o.ExitCode)

[<Fact>]
let ``explain prints the plan`` () =
    let o = run [ "explain"; "strategies/momentum_long_short.strat" ]
    Assert.Equal(0, o.ExitCode)
    Assert.Contains("momentum", o.Out)

[<Fact>]
let ``a negative minimum notional is a usage error`` () =
    let o =
        run [ "backtest"; "strategies/momentum_long_short.strat"; "--min-notional"; "-5" ]

    Assert.Equal(2, o.ExitCode)
    Assert.Equal("error: --min-notional: expected 0 or more, found -5", o.Error.Trim())

[<Fact>]
let ``a capital that is not a positive amount is a usage error`` () =
    for given in [ "0"; "-100"; "nan" ] do
        let o =
            run [ "backtest"; "strategies/momentum_long_short.strat"; "--capital"; given ]

        Assert.Equal(2, o.ExitCode)
        Assert.StartsWith("error: --capital: expected a positive amount, found ", o.Error.Trim())

let private strategyWith (body: string) =
    "strategy t \"test\"\ndata daily_top100\nbar 1d\n"
    + body
    + "\nlet s = close\nportfolio long top 5 by s\n"

[<Fact>]
let ``fmt refuses a number beyond double's range and leaves the file as it was`` () =
    use folder = new TempFolder()
    let text = strategyWith "let big = close * 1e400"
    let file = folder.Write "big.strat" text
    let o = run [ "fmt"; file ]
    Assert.Equal(2, o.ExitCode)
    Assert.Contains("SL0103", o.Error)
    Assert.Equal(text, File.ReadAllText file)

[<Fact>]
let ``fmt keeps an 18-digit whole number whole`` () =
    use folder = new TempFolder()

    let file =
        folder.Write "digits.strat" (strategyWith "param big = 123456789012345678 in 0..223456789012345678")

    let before = run [ "explain"; file ]
    let o = run [ "fmt"; file ]
    Assert.Equal(0, o.ExitCode)
    Assert.DoesNotContain("E+", File.ReadAllText file)
    let after = run [ "explain"; file ]
    Assert.Equal(before.Out, after.Out)

[<Fact>]
let ``an empty include is a diagnostic, not an internal error`` () =
    use folder = new TempFolder()
    let file = folder.Write "empty.strat" (strategyWith "include \"\"")
    let o = run [ "check"; "--no-data"; file ]
    Assert.Equal(2, o.ExitCode)
    Assert.Contains("empty.strat(4,1): error SL0513", o.Error)
    Assert.DoesNotContain("internal error", o.Error)

[<Fact>]
let ``an include of /etc/passwd is refused without quoting it`` () =
    use folder = new TempFolder()
    let file = folder.Write "leak.strat" (strategyWith "include \"/etc/passwd\"")
    let o = run [ "check"; "--no-data"; file ]
    Assert.Equal(2, o.ExitCode)
    Assert.Contains("leak.strat(4,1): error SL0514", o.Error)
    Assert.DoesNotContain("root", o.Error)

[<Fact>]
let ``an include of /dev/zero is refused at once`` () =
    use folder = new TempFolder()
    let file = folder.Write "zero.strat" (strategyWith "include \"/dev/zero\"")
    let o = run [ "check"; "--no-data"; file ]
    Assert.Equal(2, o.ExitCode)
    Assert.Contains("zero.strat(4,1): error SL0514", o.Error)

[<Fact>]
let ``a device named as the strategy file is not read without end`` () =
    let o = run [ "check"; "--no-data"; "/dev/zero" ]
    Assert.Equal(2, o.ExitCode)
    Assert.Contains("SL0501", o.Error)

[<Fact>]
let ``check --json prints one document with every file's diagnostics and the text on standard error`` () =
    use folder = new TempFolder()
    let bad = folder.Write "bad.strat" (strategyWith "let x = clse")

    let o =
        run [ "check"; "--json"; "--no-data"; "strategies/momentum_long_short.strat"; bad ]

    Assert.Equal(2, o.ExitCode)
    Assert.Contains("bad.strat(4,9): error SL0201", o.Error)
    use json = Text.Json.JsonDocument.Parse o.Out
    let root = json.RootElement
    Assert.Equal("check", root.GetProperty("command").GetString())
    Assert.False(root.GetProperty("ok").GetBoolean())
    let files = root.GetProperty("files")
    Assert.Equal(2, files.GetArrayLength())
    Assert.True(files[0].GetProperty("ok").GetBoolean())
    Assert.Equal(0, files[0].GetProperty("diagnostics").GetArrayLength())
    Assert.Equal(bad, files[1].GetProperty("path").GetString())
    let d = files[1].GetProperty("diagnostics")[0]
    Assert.Equal("SL0201", d.GetProperty("code").GetString())
    Assert.Equal("error", d.GetProperty("severity").GetString())
    Assert.Equal(bad, d.GetProperty("file").GetString())
    Assert.Equal(4, d.GetProperty("line").GetInt32())
    Assert.Equal(9, d.GetProperty("column").GetInt32())
    Assert.Equal(4, d.GetProperty("endLine").GetInt32())
    Assert.Equal(13, d.GetProperty("endColumn").GetInt32())
    Assert.Equal("unknown name 'clse'", d.GetProperty("message").GetString())
    Assert.Equal("did you mean 'close'?", d.GetProperty("hint").GetString())

[<Fact>]
let ``check reads the data folder for the dataset, its bar and its columns unless told not to`` () =
    use folder = new TempFolder()

    let file =
        folder.Write
            "columns.strat"
            "strategy t\ndata daily_top100\nbar 1d\nuniverse top 10 by open_interest\nlet s = close + funding_rate\nportfolio long top 5 by s\n"

    let typo =
        folder.Write "typo.strat" "strategy t\ndata daily_top10\nbar 1d\nportfolio long top 5 by close\n"

    let o = run [ "check"; file; typo ]
    Assert.Equal(2, o.ExitCode)
    Assert.Contains("columns.strat(4,20): error SL0702: dataset 'daily_top100' has no column 'open_interest'", o.Error)
    Assert.Contains("columns.strat(5,17): error SL0702: dataset 'daily_top100' has no column 'funding_rate'", o.Error)
    Assert.Contains("typo.strat(2,6): error SL0701: no dataset 'daily_top10'", o.Error)
    Assert.Contains("did you mean 'daily_top100'?", o.Error)

    let skipped = run [ "check"; "--no-data"; file; typo ]
    Assert.Equal(0, skipped.ExitCode)

    let bundled =
        run
            [
                "check"
                "strategies/momentum_long_short.strat"
                "strategies/ma_crossover.strat"
            ]

    Assert.Equal(0, bundled.ExitCode)
