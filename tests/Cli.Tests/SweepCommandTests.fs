/// `strategylab sweep`: a grid of parameters from the command line
module StrategyLab.Cli.Tests.SweepCommandTests

open System
open System.Diagnostics
open System.IO
open System.Text.Json
open Xunit
open StrategyLab.Cli.Tests.Cli

[<Fact>]
let ``sweep ranks a grid by its objective and writes the sweep folder`` () =
    use folder = new TempFolder()
    let out = Path.Combine(folder.Path, "sweep")

    let o =
        run
            [
                "sweep"
                "strategies/momentum_long_short.strat"
                "--grid"
                "k=4..6"
                "--grid"
                "lookback=10,20"
                "--objective"
                "maxdd"
                "--out"
                out
            ]

    Assert.True((o.ExitCode = 0), o.Error)
    Assert.Contains("6 of 6 combinations, best first by maxdd", o.Out)

    for file in [ "sweep.html"; "sweep.csv"; "sweep.json" ] do
        Assert.True(File.Exists(Path.Combine(out, file)), file)

    use sweep = JsonDocument.Parse(File.ReadAllText(Path.Combine(out, "sweep.json")))
    let trials = sweep.RootElement.GetProperty("trials")
    Assert.Equal(6, trials.GetArrayLength())
    // the bundled parameters (k 5, lookback 20) give docs/results.md's drawdown
    let bundled =
        trials.EnumerateArray()
        |> Seq.find (fun t ->
            let p = t.GetProperty "parameters"

            p.GetProperty("k").GetDouble() = 5.0
            && p.GetProperty("lookback").GetDouble() = 20.0)

    Assert.Equal(0.8879, bundled.GetProperty("metrics").GetProperty("maxdd").GetDouble(), 4)

[<Fact>]
let ``a grid value outside its range is refused before any trial runs`` () =
    use folder = new TempFolder()
    let out = Path.Combine(folder.Path, "sweep")

    let o =
        run
            [
                "sweep"
                "strategies/momentum_long_short.strat"
                "--grid"
                "k=8..12"
                "--out"
                out
            ]

    Assert.Equal(2, o.ExitCode)

    Assert.Equal(
        "error: strategies/momentum_long_short.strat: parameter k: 11 is outside its range 3..10",
        o.Error.Trim()
    )

    Assert.False(Directory.Exists out)

[<Fact>]
let ``Ctrl+C stops a sweep after the running trial and keeps every finished one`` () =
    use folder = new TempFolder()
    let out = Path.Combine(folder.Path, "sweep")

    use p =
        startInterruptible
            [
                "sweep"
                "strategies/momentum_long_short.strat"
                "--grid"
                "k=3..10"
                "--grid"
                "lookback=5..60"
                "--jobs"
                "1"
                "--out"
                out
            ]

    let out' = p.StandardOutput.ReadToEndAsync()
    // the first finished trial is logged on standard error; interrupt the sweep then, as Ctrl+C does
    let first = p.StandardError.ReadLine()
    Assert.StartsWith("sweeping momentum_long_short: trial", first)
    interrupt p

    let rest = p.StandardError.ReadToEnd()
    Assert.True(p.WaitForExit(TimeSpan.FromMinutes 5.0), "the sweep did not stop")
    Assert.True((p.ExitCode = 0), rest)
    Assert.Contains("stopping after the running trials", rest)
    use sweep = JsonDocument.Parse(File.ReadAllText(Path.Combine(out, "sweep.json")))
    let finished = sweep.RootElement.GetProperty("finished").GetInt32()
    Assert.True(sweep.RootElement.GetProperty("stopped").GetBoolean())
    Assert.InRange(finished, 1, 95)
    Assert.Equal(finished, sweep.RootElement.GetProperty("trials").GetArrayLength())
    Assert.Contains($"{finished} of 96 combinations", out'.Result)
