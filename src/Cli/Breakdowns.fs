/// `backtest --breakdown`: a run's results by day, week, month or year, as freqtrade's --breakdown
module StrategyLab.Cli.Breakdowns

open System
open StrategyLab.Runtime.Backtest
open StrategyLab.Runtime.Backtest.Reports
open StrategyLab.Cli.Output

let private choices =
    let names = List.ofSeq Breakdown.Names
    String.Join(", ", List.take (names.Length - 1) names) + " or " + List.last names

/// The help text of the option
let usage =
    $"break the results down by {choices} (repeatable); a year is the study period"

/// Parses a --breakdown value; anything else is a usage error naming the choices
let parse (text: string) =
    match Breakdown.TryParse text with
    | true, period -> period
    | _ -> usageError $"--breakdown: expected {choices}, found '{text}'"

/// Prints a table of the report's results in each period that has bars
let print (report: BacktestReport) (period: BreakdownPeriod) =
    let inv = Globalization.CultureInfo.InvariantCulture

    let pct (x: float) =
        if Double.IsNaN x then "—" else x.ToString("0.00%", inv)

    let benchmark = report.BenchmarkName |> Option.ofObj

    let heading =
        match period with
        | BreakdownPeriod.Week -> "week from"
        | _ -> Breakdown.Names[int period]

    let rows =
        Breakdown.Of(report, period)
        |> Seq.map (fun r ->
            [
                yield Breakdown.Label(r.Start, period)
                yield pct r.Return
                if benchmark.IsSome then
                    yield pct r.BenchmarkReturn
                yield pct r.MaxDrawdown
                yield string r.Trades
                yield $"{r.Wins} / {r.Losses}"
                yield pct r.WinRate
            ])

    printLine ""
    printLine $"by {Breakdown.Names[int period]}"

    table
        [
            yield heading
            yield "return"
            if benchmark.IsSome then
                yield benchmark.Value
            yield "max drawdown"
            yield "trades closed"
            yield "wins / losses"
            yield "win rate"
        ]
        rows
