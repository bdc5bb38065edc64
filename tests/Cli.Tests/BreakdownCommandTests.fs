/// `backtest --breakdown`: tables of results by period after the summary
module StrategyLab.Cli.Tests.BreakdownCommandTests

open System
open System.IO
open System.Text.RegularExpressions
open Xunit
open StrategyLab.Cli.Tests.Cli

let private inv = Globalization.CultureInfo.InvariantCulture

[<Fact>]
let ``--breakdown week prints each Monday-started week's return, compounded from the run's equity file`` () =
    use folder = new TempFolder()
    let out = Path.Combine(folder.Path, "run")

    let o =
        run
            [
                "backtest"
                "strategies/momentum_long_short.strat"
                "--from"
                "2025-08-28"
                "--to"
                "2025-09-30"
                "--breakdown"
                "week"
                "--out"
                out
            ]

    Assert.Equal(0, o.ExitCode)
    Assert.Contains("by week", o.Out)

    Assert.Matches(
        Regex(@"week from\s+return\s+buy and hold BTC\s+max drawdown\s+trades closed\s+wins / losses\s+win rate"),
        o.Out
    )

    Assert.DoesNotContain("by month", o.Out)

    // the weeks computed apart: bar returns of equity.csv grouped by the Monday on or before each day
    let weeks =
        File.ReadAllLines(Path.Combine(out, "equity.csv"))
        |> Array.skip 1
        |> Array.map (fun line ->
            let f = line.Split ','
            let day = DateTime.ParseExact(f[0], "yyyy-MM-dd", inv)
            day.AddDays(-(float ((int day.DayOfWeek + 6) % 7))), Double.Parse(f[2], inv))
        |> Array.groupBy fst
        |> Array.map (fun (monday, rs) -> monday, (rs |> Array.fold (fun e (_, r) -> e * (1.0 + r)) 1.0) - 1.0)

    // Thursday 08-28 opens the week of Monday 08-25; Monday 09-29 opens the last
    Assert.Equal<string>(
        [
            "2025-08-25"
            "2025-09-01"
            "2025-09-08"
            "2025-09-15"
            "2025-09-22"
            "2025-09-29"
        ],
        weeks |> Array.map (fun (m, _) -> m.ToString("yyyy-MM-dd", inv))
    )

    for monday, r in weeks do
        let row =
            $"""{monday.ToString("yyyy-MM-dd", inv)}\s+{Regex.Escape(r.ToString("0.00%", inv))}\s"""

        Assert.Matches(Regex(row), o.Out)

[<Fact>]
let ``--breakdown with an unknown period is refused in one line naming the choices`` () =
    let o =
        run
            [
                "backtest"
                "strategies/momentum_long_short.strat"
                "--breakdown"
                "fortnight"
            ]

    Assert.Equal(2, o.ExitCode)
    Assert.Equal("error: --breakdown: expected day, week, month or year, found 'fortnight'", o.Error.Trim())
    Assert.Equal("", o.Out)
