/// paper and live through the command line
module StrategyLab.Cli.Tests.TradingCommandTests

open System.IO
open Xunit
open StrategyLab.Cli.Tests.Cli

[<Fact>]
let ``paper replays a recorded dataset through the runner and journals each session apart`` () =
    use folder = new TempFolder()
    let journal = Path.Combine(folder.Path, "paper.db")

    let paper () =
        run
            [
                "paper"
                "strategies/momentum_long_short.strat"
                "--recorded"
                "daily_top100"
                "--bars"
                "3"
                "--journal"
                journal
            ]

    let first = paper ()
    Assert.True((first.ExitCode = 0), first.Error)
    // each order is printed with its deterministic client id, and the summary last
    Assert.Matches(@"order \S+ (Buy|Sell) Market [0-9.]+.*: New \(sl[0-9a-f]{8}-", first.Out)

    Assert.Matches(
        @"paper momentum_long_short on daily_top100 \(session 1\): 3 bars, [1-9][0-9]* orders, [0-9]+ fills",
        first.Out
    )

    Assert.True(File.Exists journal)

    let second = paper ()
    Assert.True((second.ExitCode = 0), second.Error)
    Assert.Contains("(session 2)", second.Out)

[<Fact>]
let ``live names the missing key without showing the one it found`` () =
    use folder = new TempFolder()
    let key = "cli-test-api-key-never-shown-4711"
    folder.Write ".env" $"BINANCE_API_KEY={key}\n" |> ignore

    let o =
        runWith
            folder.Path
            [ "BINANCE_API_KEY", ""; "BINANCE_API_SECRET", "" ]
            [
                "-d"
                Path.Combine(repositoryRoot, "data")
                "live"
                Path.Combine(repositoryRoot, "strategies", "momentum_long_short.strat")
            ]

    Assert.Equal(2, o.ExitCode)

    Assert.Equal(
        "error: no Binance API credentials: set BINANCE_API_SECRET in the environment or in a .env file",
        o.Error.Trim()
    )

    Assert.DoesNotContain(key, o.Out + o.Error)

[<Fact>]
let ``live refuses --status with --live`` () =
    let o = run [ "live"; "strategies/momentum_long_short.strat"; "--status"; "--live" ]

    Assert.Equal(2, o.ExitCode)
    Assert.Equal("error: --status trades nothing: drop --live", o.Error.Trim())
