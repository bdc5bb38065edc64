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
let ``live and paper name the venues they trade on when given another`` () =
    for command in [ "live"; "paper" ] do
        let o =
            run [ command; "strategies/momentum_long_short.strat"; "--exchange"; "kraken" ]

        Assert.Equal(2, o.ExitCode)
        Assert.Equal("error: --exchange: expected binance, bybit or mexc, found 'kraken'", o.Error.Trim())

[<Fact>]
let ``live on mexc refuses --testnet, as MEXC runs no contract testnet`` () =
    let o =
        run
            [
                "live"
                "strategies/momentum_long_short.strat"
                "--exchange"
                "mexc"
                "--testnet"
            ]

    Assert.Equal(2, o.ExitCode)
    Assert.Equal("error: --testnet: MEXC contract runs no testnet; drop --testnet", o.Error.Trim())

[<Fact>]
let ``live on mexc asks for mexc's keys and says when only binance's are set`` () =
    use folder = new TempFolder()
    let key = "cli-test-binance-key-never-shown-2718"

    folder.Write ".env" $"BINANCE_API_KEY={key}\nBINANCE_API_SECRET=cli-test-binance-secret\n"
    |> ignore

    let o =
        runWith
            folder.Path
            [
                "MEXC_API_KEY", ""
                "MEXC_API_SECRET", ""
                "BYBIT_API_KEY", ""
                "BINANCE_API_KEY", ""
                "BINANCE_API_SECRET", ""
            ]
            [
                "-d"
                Path.Combine(repositoryRoot, "data")
                "live"
                Path.Combine(repositoryRoot, "strategies", "momentum_long_short.strat")
                "--exchange"
                "MEXC"
            ]

    Assert.Equal(2, o.ExitCode)

    Assert.Equal(
        "error: no MEXC API credentials: set MEXC_API_KEY and MEXC_API_SECRET in the environment or in a .env file (BINANCE_API_KEY is set, but one venue's keys do not work on another)",
        o.Error.Trim()
    )

    Assert.DoesNotContain(key, o.Out + o.Error)

[<Fact>]
let ``live on bybit asks for bybit's keys and says when only another venue's are set`` () =
    use folder = new TempFolder()
    let key = "cli-test-binance-key-never-shown-0815"

    folder.Write ".env" $"BINANCE_API_KEY={key}\nBINANCE_API_SECRET=cli-test-binance-secret\n"
    |> ignore

    let o =
        runWith
            folder.Path
            [
                "BYBIT_API_KEY", ""
                "BYBIT_API_SECRET", ""
                "MEXC_API_KEY", ""
                "BINANCE_API_KEY", ""
                "BINANCE_API_SECRET", ""
            ]
            [
                "-d"
                Path.Combine(repositoryRoot, "data")
                "live"
                Path.Combine(repositoryRoot, "strategies", "momentum_long_short.strat")
                "--exchange"
                "bybit"
            ]

    Assert.Equal(2, o.ExitCode)

    Assert.Equal(
        "error: no Bybit API credentials: set BYBIT_API_KEY and BYBIT_API_SECRET in the environment or in a .env file (BINANCE_API_KEY is set, but one venue's keys do not work on another)",
        o.Error.Trim()
    )

    Assert.DoesNotContain(key, o.Out + o.Error)

[<Fact>]
let ``live refuses --status with --live`` () =
    let o = run [ "live"; "strategies/momentum_long_short.strat"; "--status"; "--live" ]

    Assert.Equal(2, o.ExitCode)
    Assert.Equal("error: --status trades nothing: drop --live", o.Error.Trim())

[<Fact>]
let ``promote goes to paper only from the same backtest and to live only after paper trading`` () =
    use folder = new TempFolder()
    let journal = Path.Combine(folder.Path, "journal.db")
    let backtest = Path.Combine(folder.Path, "bt")
    let strategy = "strategies/momentum_long_short.strat"

    let ran = run [ "backtest"; strategy; "--from"; "2024-01-01"; "--out"; backtest ]

    Assert.True((ran.ExitCode = 0), ran.Error)

    let promote args =
        run ([ "promote"; strategy; "--journal"; journal ] @ args)

    let early = promote [ "--to"; "live" ]
    Assert.Equal(2, early.ExitCode)
    Assert.Contains("never promoted to paper", early.Error)

    let otherParameters =
        promote [ "--to"; "paper"; "--from"; backtest; "--param"; "k=7" ]

    Assert.Equal(2, otherParameters.ExitCode)

    Assert.Equal(
        $"error: {strategy}: not promoted to paper: the parameters differ from the backtest's (k=7, lookback=20 now, k=5, lookback=20 then)",
        otherParameters.Error.Trim()
    )

    let paper = promote [ "--to"; "paper"; "--from"; backtest ]
    Assert.True((paper.ExitCode = 0), paper.Error)
    Assert.Contains($"momentum_long_short promoted to paper from {backtest} (k=5, lookback=20;", paper.Out)

    let noSession = promote [ "--to"; "live" ]
    Assert.Equal(2, noSession.ExitCode)
    Assert.Contains("has no paper session of this strategy text and its parameters", noSession.Error)

    let traded =
        run
            [
                "paper"
                strategy
                "--recorded"
                "daily_top100"
                "--bars"
                "2"
                "--journal"
                journal
                "--quiet"
            ]

    Assert.True((traded.ExitCode = 0), traded.Error)

    // --live trades only what was promoted to live; without keys, a run that passes that check stops at the keys,
    // before anything reaches the venue
    let liveRun args =
        runWith
            folder.Path
            [ "BINANCE_API_KEY", ""; "BINANCE_API_SECRET", "" ]
            ([
                "-d"
                Path.Combine(repositoryRoot, "data")
                "live"
                Path.Combine(repositoryRoot, strategy)
                "--live"
                "--journal"
                journal
             ]
             @ args)

    let unpromoted = liveRun []
    Assert.Equal(2, unpromoted.ExitCode)

    Assert.Equal(
        $"error: {Path.Combine(repositoryRoot, strategy)}: --live refused: not promoted to live: momentum_long_short was never promoted to live; run strategylab promote FILE --to live (after --to paper and a paper session)",
        unpromoted.Error.Trim()
    )

    let live = promote [ "--to"; "live" ]
    Assert.True((live.ExitCode = 0), live.Error)
    Assert.Contains($"momentum_long_short promoted to live from paper session 1 in {journal}", live.Out)

    let promoted = liveRun []
    Assert.Equal(2, promoted.ExitCode)
    Assert.Contains("no Binance API credentials", promoted.Error)

    let otherParameters = liveRun [ "--param"; "k=7" ]
    Assert.Equal(2, otherParameters.ExitCode)

    Assert.Contains(
        "--live refused: not promoted to live: this strategy text and its parameters differ",
        otherParameters.Error
    )
    // a dry run needs no promotion
    let dry =
        runWith
            folder.Path
            [ "BINANCE_API_KEY", ""; "BINANCE_API_SECRET", "" ]
            [
                "-d"
                Path.Combine(repositoryRoot, "data")
                "live"
                Path.Combine(repositoryRoot, strategy)
                "--param"
                "k=7"
                "--journal"
                journal
            ]

    Assert.Contains("no Binance API credentials", dry.Error)

[<Fact>]
let ``promote refuses a strategy whose text changed since its backtest`` () =
    use folder = new TempFolder()
    let backtest = Path.Combine(folder.Path, "bt")
    let data = Path.Combine(repositoryRoot, "data")

    let original =
        Path.Combine(repositoryRoot, "strategies", "momentum_long_short.strat")

    let ran =
        runWith folder.Path [] [ "-d"; data; "backtest"; original; "--from"; "2024-01-01"; "--out"; backtest ]

    Assert.True((ran.ExitCode = 0), ran.Error)
    // the same strategy with a 25-day lookback by default
    let changed =
        folder.Write "momentum_long_short.strat" ((File.ReadAllText original).Replace("lookback = 20", "lookback = 25"))

    let o =
        runWith
            folder.Path
            []
            [
                "-d"
                data
                "promote"
                changed
                "--to"
                "paper"
                "--from"
                backtest
                "--journal"
                Path.Combine(folder.Path, "j.db")
            ]

    Assert.Equal(2, o.ExitCode)
    Assert.Contains("not promoted to paper: the strategy text differs from the backtest's", o.Error)
    Assert.Contains("(and 1 more)", o.Error)

[<Fact>]
let ``a metrics port in use stops paper with one line before anything trades`` () =
    use folder = new TempFolder()
    let journal = Path.Combine(folder.Path, "paper.db")
    use taken = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0)
    taken.Start()
    let port = (taken.LocalEndpoint :?> System.Net.IPEndPoint).Port

    let o =
        run
            [
                "paper"
                "strategies/momentum_long_short.strat"
                "--recorded"
                "daily_top100"
                "--journal"
                journal
                "--metrics-port"
                string port
            ]

    Assert.Equal(1, o.ExitCode)
    Assert.StartsWith($"error: metrics port {port} on 127.0.0.1 is in use", o.Error)
    Assert.Equal(1, o.Error.Trim().Split('\n').Length)
    Assert.False(File.Exists journal, "nothing may be journaled before the metrics are served")

[<Fact>]
let ``a wrong alert setting is one line that never shows its value`` () =
    use folder = new TempFolder()
    let secret = "hooks.example/T000/B000/never-shown-4711"

    let o =
        runWith
            repositoryRoot
            [ "STRATEGYLAB_SLACK_WEBHOOK_URL", secret ]
            [
                "paper"
                "strategies/momentum_long_short.strat"
                "--recorded"
                "daily_top100"
                "--journal"
                Path.Combine(folder.Path, "paper.db")
            ]

    Assert.Equal(2, o.ExitCode)
    Assert.Equal("error: STRATEGYLAB_SLACK_WEBHOOK_URL is not an http(s) URL", o.Error.Trim())
    Assert.DoesNotContain("never-shown", o.Out + o.Error)
