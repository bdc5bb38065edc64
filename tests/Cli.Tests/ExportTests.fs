/// `backtest --export`: the run's signals, targets, trades and equity as CSV and Parquet tables
module StrategyLab.Cli.Tests.ExportTests

open System
open System.Globalization
open System.IO
open Xunit
open Parquet
open StrategyLab.Cli.Tests.Cli

let private rows (file: string) =
    File.ReadAllLines file |> Array.map (fun l -> l.Split ',')

let private number (text: string) =
    Double.Parse(text, CultureInfo.InvariantCulture)

// closes by (date, symbol) straight from the bundled CSV, independent of the store and the kernels
let private closes () =
    let file =
        Path.Combine(repositoryRoot, "data", "daily", "coinbase_usd_daily_ohlcv_2020_2025.csv")

    File.ReadLines file
    |> Seq.skip 1
    |> Seq.map (fun l -> l.Split ',')
    |> Seq.map (fun f -> (f[0], f[2]), number f[6])
    |> dict

[<Fact>]
let ``backtest exports its signals, targets, trades and equity, as CSV and Parquet`` () =
    use folder = new TempFolder()
    let out = Path.Combine(folder.Path, "run")
    let parquet = Path.Combine(folder.Path, "equity.parquet")

    let o =
        run
            [
                "backtest"
                "strategies/momentum_long_short.strat"
                "--out"
                out
                "--export"
                $"signals,weights,trades, equity={parquet}"
            ]

    Assert.True((o.ExitCode = 0), o.Error)
    Assert.Contains($"exported {parquet}", o.Out)

    // signals: the 20-day return of each asset, as the CSV's closes give it
    let signals = rows (Path.Combine(out, "signals.csv"))
    Assert.Equal<string>([| "time"; "symbol"; "momentum" |], signals[0])
    let close = closes ()

    let day (date: string) =
        DateTime.Parse(date, CultureInfo.InvariantCulture)

    let checkedRows =
        signals[1..]
        |> Array.filter (fun r -> r[1] = "BTC" || r[1] = "ETH")
        |> Array.truncate 200

    Assert.NotEmpty checkedRows

    for r in checkedRows do
        let earlier =
            (day r[0]).AddDays(-20.0).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)

        let expected = close[(r[0], r[1])] / close[(earlier, r[1])] - 1.0
        Assert.Equal(expected, number r[2], 12)

    // targets: five longs at +0.1 and five shorts at −0.1 at every bar that holds anything
    let weights = rows (Path.Combine(out, "weights.csv"))
    Assert.Equal<string>([| "time"; "symbol"; "weight" |], weights[0])

    for _, bar in weights[1..] |> Array.groupBy (fun r -> r[0]) do
        Assert.Equal(5, bar |> Array.filter (fun r -> number r[2] = 0.1) |> Array.length)
        Assert.Equal(5, bar |> Array.filter (fun r -> number r[2] = -0.1) |> Array.length)

    // trades: as many as the run folder's own list
    let trades = rows (Path.Combine(out, "trades.csv"))
    Assert.Equal<string>([| "symbol"; "side"; "entry_time"; "exit_time"; "pnl"; "state" |], trades[0])
    Assert.Equal(4063 + 10, trades.Length - 1)

    // equity in Parquet: the run folder's equity column, value for value
    let equityCsv = rows (Path.Combine(out, "equity.csv"))

    let names, times, equity =
        (task {
            use! reader = ParquetReader.CreateAsync(parquet)
            use group = reader.OpenRowGroupReader 0
            let fields = reader.Schema.GetDataFields()
            let rows = int group.RowCount
            let time = Array.zeroCreate<DateTime> rows
            let equity = Array.zeroCreate<float> rows
            do! group.ReadAsync<DateTime>(fields[0], Memory time)
            do! group.ReadAsync<float>(fields[1], Memory equity)
            return fields |> Array.map _.Name, time, equity
        })
            .Result

    Assert.Equal<string>([| "time"; "equity"; "return"; "gross_exposure"; "net_exposure"; "turnover" |], names)
    Assert.Equal(equityCsv.Length - 1, equity.Length)

    for i in 0 .. equity.Length - 1 do
        Assert.Equal(number (equityCsv[i + 1][1]), equity[i])

    Assert.Equal(DateTime(2020, 3, 31, 0, 0, 0, DateTimeKind.Utc), times[90].ToUniversalTime())

[<Fact>]
let ``an unknown export is a usage error before any work`` () =
    let o =
        run
            [
                "backtest"
                "strategies/momentum_long_short.strat"
                "--export"
                "signals,orders"
            ]

    Assert.Equal(2, o.ExitCode)
    Assert.Equal("error: --export: expected one of signals, weights, trades, equity, found 'orders'", o.Error.Trim())

[<Fact>]
let ``backtest --json prints one JSON document on standard output and the text on standard error`` () =
    use folder = new TempFolder()
    let out = Path.Combine(folder.Path, "run")

    let o =
        run [ "backtest"; "strategies/momentum_long_short.strat"; "--out"; out; "--json" ]

    Assert.True((o.ExitCode = 0), o.Error)
    use document = Text.Json.JsonDocument.Parse o.Out
    let root = document.RootElement
    Assert.Equal("backtest", root.GetProperty("command").GetString())
    Assert.True(root.GetProperty("ok").GetBoolean())
    Assert.Equal(out, root.GetProperty("run").GetString())
    // the document's metrics are the run folder's, and the human summary went to standard error
    use metrics =
        Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(out, "metrics.json")))

    Assert.Equal(
        metrics.RootElement.GetProperty("metrics").GetProperty("total_return").GetDouble(),
        root.GetProperty("metrics").GetProperty("metrics").GetProperty("total_return").GetDouble()
    )

    Assert.Equal("momentum_long_short", root.GetProperty("manifest").GetProperty("strategy").GetString())
    Assert.Contains("total return", o.Error)
    Assert.Contains("run written to", o.Error)

[<Fact>]
let ``evaluate --json fails with its error in the document and the exit code of a usage error`` () =
    let o =
        run
            [
                "evaluate"
                "strategies/momentum_long_short.strat"
                "--param"
                "k=50"
                "--json"
            ]

    Assert.Equal(2, o.ExitCode)
    use document = Text.Json.JsonDocument.Parse o.Out
    let root = document.RootElement
    Assert.False(root.GetProperty("ok").GetBoolean())

    Assert.Equal(
        "strategies/momentum_long_short.strat: --param k: 50 is outside its range 3..10",
        root.GetProperty("error").GetString()
    )

[<Fact>]
let ``a strategy with errors gives its diagnostics in the JSON document`` () =
    use folder = new TempFolder()

    let file =
        folder.Write
            "bad.strat"
            "strategy b \"bad\"\ndata daily_top100\nbar 1d\nsignal s = rsii(close, 14)\nportfolio long top 5 by s\n"

    let o = run [ "backtest"; file; "--json" ]
    Assert.Equal(2, o.ExitCode)
    use document = Text.Json.JsonDocument.Parse o.Out

    let diagnostics =
        (document.RootElement.GetProperty("files")[0]).GetProperty("diagnostics")

    Assert.Equal(1, diagnostics.GetArrayLength())
    Assert.Equal(4, diagnostics[0].GetProperty("line").GetInt32())
    Assert.Contains("rsii", diagnostics[0].GetProperty("message").GetString())
