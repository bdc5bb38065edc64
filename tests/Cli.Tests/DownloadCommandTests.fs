module StrategyLab.Cli.Tests.DownloadCommandTests

open System
open System.IO
open Microsoft.AspNetCore.Builder
open Microsoft.AspNetCore.Hosting
open Microsoft.AspNetCore.Http
open Microsoft.Extensions.Logging
open Xunit
open StrategyLab.Cli.Tests.Cli

let private hour = 3_600_000L

let private start =
    DateTimeOffset(2024, 1, 1, 0, 0, 0, TimeSpan.Zero).ToUnixTimeMilliseconds()

// hourly bars whose close climbs by one per bar, so each row can be recognised
let private kline (i: int) =
    let t = start + int64 i * hour
    let c = 100 + i
    $"[{t},\"{c}.0\",\"{c + 1}.0\",\"{c - 1}.0\",\"{c}.5\",\"10.0\",{t + hour - 1L},\"1000.0\",5,\"4.0\",\"400.0\",\"0\"]"

/// A venue on 127.0.0.1 serving 24 hourly BTCUSDT klines, paged by startTime/endTime/limit as Binance does, and its
/// server time; a venue that answers from the bar containing startTime sends a bar again when asked from inside it
type private FakeVenue(barContainingStart: bool) =
    let app =
        let builder = WebApplication.CreateBuilder()
        builder.Logging.ClearProviders() |> ignore
        builder.WebHost.UseUrls "http://127.0.0.1:0" |> ignore
        builder.Build()

    do
        app.MapGet(
            "/fapi/v1/time",
            Func<IResult>(fun () ->
                Results.Text(
                    $"{{\"serverTime\":{DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()}}}",
                    "application/json"
                ))
        )
        |> ignore

        app.MapGet(
            "/fapi/v1/klines",
            Func<HttpContext, IResult>(fun ctx ->
                let q = ctx.Request.Query
                let from = int64 (string q["startTime"])
                let until = int64 (string q["endTime"])
                let limit = int (string q["limit"])

                let rows =
                    [ 0..23 ]
                    |> List.filter (fun i ->
                        let t = start + int64 i * hour
                        let last = if barContainingStart then t + hour - 1L else t
                        last >= from && t <= until)
                    |> List.truncate limit
                    |> List.map kline

                Results.Text("[" + String.Join(",", rows) + "]", "application/json"))
        )
        |> ignore

        app.StartAsync().GetAwaiter().GetResult()

    member _.Url = Seq.head app.Urls

    interface IDisposable with
        member _.Dispose() =
            app.StopAsync().GetAwaiter().GetResult()

let private downloadHourly (venue: FakeVenue) (folder: TempFolder) (until: string) =
    runIn
        folder.Path
        [
            "data"
            "download"
            "--exchange"
            "binance"
            "--symbols"
            "btcusdt"
            "--interval"
            "1h"
            "--from"
            "2024-01-01"
            "--to"
            until
            "--base-url"
            venue.Url
            "-d"
            "."
        ]

[<Fact>]
let ``download writes the venue's klines, registers a dataset and resumes where it stopped`` () =
    use venue = new FakeVenue(false)
    use folder = new TempFolder()

    let download = downloadHourly venue folder

    let first = download "2024-01-01T05:00Z"
    Assert.Equal(0, first.ExitCode)
    Assert.Contains("dataset 'binance_1h': 1 asset(s), 5 bars", first.Out)

    let second = download "2024-01-01T08:00Z"
    Assert.Equal(0, second.ExitCode)
    Assert.Contains("downloaded 3 new row(s)", second.Out)
    Assert.Contains("8 bars", second.Out)

    let file = Path.Combine(folder.Path, "binance-usdm", "BTCUSDT-1h.csv")
    let lines = File.ReadAllLines file
    Assert.Equal(9, lines.Length)
    Assert.Equal(lines |> Array.distinct |> Array.length, lines.Length)

    let show =
        runIn folder.Path [ "data"; "show"; "binance_1h"; "-s"; "BTCUSDT"; "-d"; "." ]

    Assert.Equal(0, show.ExitCode)
    Assert.Contains("2024-01-01T07:00:00Z", show.Out)
    Assert.Contains("107.5", show.Out)

[<Fact>]
let ``a bounded download succeeds, every time, from a venue that answers from the bar containing the start`` () =
    use venue = new FakeVenue(true)
    use folder = new TempFolder()

    let first = downloadHourly venue folder "2024-01-01T05:00Z"
    Assert.Equal("", first.Error)
    Assert.Equal(0, first.ExitCode)
    Assert.Contains("downloaded 5 new row(s)", first.Out)

    let again = downloadHourly venue folder "2024-01-01T05:00Z"
    Assert.Equal("", again.Error)
    Assert.Equal(0, again.ExitCode)
    Assert.Contains("downloaded 0 new row(s)", again.Out)

    let lines =
        File.ReadAllLines(Path.Combine(folder.Path, "binance-usdm", "BTCUSDT-1h.csv"))

    Assert.Equal(6, lines.Length)
    Assert.Equal("1704081600000,104.0,105.0,103.0,104.5,10.0,1704085199999,1000.0,5,4.0,400.0,0", lines[5])

[<Fact>]
let ``download with no route to the exchange fails at once with one line`` () =
    use folder = new TempFolder()

    let o =
        runIn
            folder.Path
            [
                "data"
                "download"
                "--exchange"
                "binance"
                "--symbols"
                "BTCUSDT"
                "--interval"
                "1m"
                "--from"
                "2024-01-01"
                "--base-url"
                "http://127.0.0.1:1"
                "-d"
                "."
            ]

    Assert.Equal(1, o.ExitCode)

    Assert.Equal(
        "error: cannot reach the exchange (Binance at http://127.0.0.1:1): the connection was refused; check the network connection",
        o.Error.Trim()
    )

[<Fact>]
let ``download from an exchange it does not support is a usage error`` () =
    let o =
        run
            [
                "data"
                "download"
                "--exchange"
                "kraken"
                "--symbols"
                "BTCUSDT"
                "--interval"
                "1m"
                "--from"
                "2024-01-01"
            ]

    Assert.Equal(2, o.ExitCode)
    Assert.Equal("error: --exchange: expected binance, bybit or mexc, found 'kraken'", o.Error.Trim())

/// A venue on 127.0.0.1 answering each GET path with its handler's JSON, made from the query string
type private Routes(routes: (string * (IQueryCollection -> string)) list) =
    let app =
        let builder = WebApplication.CreateBuilder()
        builder.Logging.ClearProviders() |> ignore
        builder.WebHost.UseUrls "http://127.0.0.1:0" |> ignore
        builder.Build()

    do
        for path, answer in routes do
            app.MapGet(
                path,
                Func<HttpContext, IResult>(fun ctx -> Results.Text(answer ctx.Request.Query, "application/json"))
            )
            |> ignore

        app.StartAsync().GetAwaiter().GetResult()

    member _.Url = Seq.head app.Urls

    interface IDisposable with
        member _.Dispose() =
            app.StopAsync().GetAwaiter().GetResult()

let private number (query: IQueryCollection) (name: string) (byDefault: int64) =
    match string query[name] with
    | "" -> byDefault
    | text -> int64 text

// 60 hourly bars from 2024-01-01 00:00 rising in a saw-tooth, each as the venue writes it: open, high, low, close
let private bar (i: int) =
    let o = 100 + i % 12
    $"{o}", $"{o + 1}.5", $"{o - 1}", $"{o}.5"

let private bars = [ 0..59 ]
let private barTime (i: int) = start + int64 i * hour

// funding every 8 hours of those 60
let private fundingTimes = [ for k in 0..7 -> start + int64 k * 8L * hour ]

let private json (items: string seq) = String.Join(",", items)

/// Bybit v5 public market endpoints as its pages describe them: newest first, limit per page
let private bybit () =
    new Routes(
        [
            "/v5/market/time",
            fun _ ->
                let now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()
                $"{{\"retCode\":0,\"retMsg\":\"OK\",\"result\":{{\"timeSecond\":\"{now / 1000L}\",\"timeNano\":\"{now * 1000000L}\"}},\"retExtInfo\":{{}},\"time\":{now}}}"
            "/v5/market/kline",
            fun q ->
                let from, until, limit =
                    number q "start" 0L, number q "end" Int64.MaxValue, int (number q "limit" 200L)

                let rows =
                    bars
                    |> List.filter (fun i -> barTime i >= from && barTime i <= until)
                    |> List.rev
                    |> List.truncate limit
                    |> List.map (fun i ->
                        let o, h, l, c = bar i
                        $"[\"{barTime i}\",\"{o}\",\"{h}\",\"{l}\",\"{c}\",\"2.5\",\"250.25\"]")

                $"{{\"retCode\":0,\"retMsg\":\"OK\",\"result\":{{\"symbol\":\"BTCUSDT\",\"category\":\"linear\",\"list\":[{json rows}]}},\"retExtInfo\":{{}},\"time\":1}}"
            "/v5/market/funding/history",
            fun q ->
                let from, until, limit =
                    number q "startTime" 0L, number q "endTime" Int64.MaxValue, int (number q "limit" 200L)

                let rows =
                    fundingTimes
                    |> List.filter (fun t -> t >= from && t <= until)
                    |> List.rev
                    |> List.truncate limit
                    |> List.map (fun t ->
                        $"{{\"symbol\":\"BTCUSDT\",\"fundingRate\":\"0.0001\",\"fundingRateTimestamp\":\"{t}\"}}")

                $"{{\"retCode\":0,\"retMsg\":\"OK\",\"result\":{{\"category\":\"linear\",\"list\":[{json rows}]}},\"retExtInfo\":{{}},\"time\":1}}"
        ]
    )

/// MEXC contract public endpoints as its pages describe them: kline windows in Unix seconds, volumes in contracts
/// (0.0001 BTC each, as the documented contract detail says), funding pages newest first
let private mexc () =
    let detail =
        File.ReadAllText(
            Path.Combine(
                repositoryRoot,
                "tests",
                "Exchanges.Tests",
                "TestData",
                "mexc",
                "http_get_contract_detail_btc_usdt.json"
            )
        )

    new Routes(
        [
            "/api/v1/contract/ping",
            fun _ -> $"{{\"success\":true,\"code\":0,\"data\":{DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()}}}"
            "/api/v1/contract/detail", (fun _ -> detail)
            "/api/v1/contract/kline/BTC_USDT",
            fun q ->
                let from, until = number q "start" 0L, number q "end" Int64.MaxValue

                let rows =
                    bars
                    |> List.filter (fun i -> barTime i / 1000L >= from && barTime i / 1000L <= until)
                    |> List.truncate 2000

                let column (value: int -> string) = json (rows |> List.map value)

                let field (pick: string * string * string * string -> string) = column (fun i -> pick (bar i))

                let time = column (fun i -> string (barTime i / 1000L))
                let opens = field (fun (o, _, _, _) -> o)
                let highs = field (fun (_, h, _, _) -> h)
                let lows = field (fun (_, _, l, _) -> l)
                let closes = field (fun (_, _, _, c) -> c)
                let vol = column (fun _ -> "25000")
                let amount = column (fun _ -> "250.25")

                $"{{\"success\":true,\"code\":0,\"data\":{{\"time\":[{time}],\"open\":[{opens}],\"close\":[{closes}],\"high\":[{highs}],\"low\":[{lows}],\"vol\":[{vol}],\"amount\":[{amount}]}}}}"
            "/api/v1/contract/funding_rate/history",
            fun _ ->
                let rows =
                    fundingTimes
                    |> List.rev
                    |> List.map (fun t -> $"{{\"symbol\":\"BTC_USDT\",\"fundingRate\":0.0001,\"settleTime\":{t}}}")

                $"{{\"success\":true,\"code\":0,\"data\":{{\"pageSize\":100,\"totalCount\":8,\"totalPage\":1,\"currentPage\":1,\"resultList\":[{json rows}]}}}}"
        ]
    )

let private crossover (dataset: string) =
    $"""strategy download_check "a crossover on downloaded bars"
data {dataset}
bar 1h
universe all

let fast_ma = sma(close, 3)
let slow_ma = sma(close, 8)

portfolio long when fast_ma > slow_ma, short when fast_ma < slow_ma
costs fee 5 bps
"""

/// Downloads 60 hourly bars and funding from the venue, then backtests a strategy on the dataset
let private downloadThenBacktest (exchange: string) (url: string) (symbol: string) =
    use folder = new TempFolder()

    let download =
        runIn
            folder.Path
            [
                "data"
                "download"
                "--exchange"
                exchange
                "--symbols"
                symbol
                "--interval"
                "1h"
                "--from"
                "2024-01-01"
                "--to"
                "2024-01-03T12:00Z"
                "--funding"
                "--base-url"
                url
                "-d"
                "."
            ]

    let strategy = folder.Write "crossover.strat" (crossover $"{exchange}_1h")

    let backtest =
        runIn folder.Path [ "backtest"; strategy; "--out"; Path.Combine(folder.Path, "run"); "-d"; "." ]

    let files =
        Directory.GetFiles(folder.Path, "*.csv", SearchOption.AllDirectories)
        |> Array.map (fun f -> Path.GetRelativePath(folder.Path, f), File.ReadAllLines f)
        |> Map.ofArray

    download, backtest, files

[<Fact>]
let ``download from bybit writes its klines and funding as a dataset that backtests`` () =
    use venue = bybit ()

    let download, backtest, files = downloadThenBacktest "bybit" venue.Url "btcusdt"

    Assert.Equal("", download.Error)
    Assert.Equal(0, download.ExitCode)

    Assert.Contains(
        "dataset 'bybit_1h': 1 asset(s), 60 bars, columns open high low close volume quote_volume funding_rate",
        download.Out
    )

    let klines = files[Path.Combine("bybit-linear", "BTCUSDT-1h.csv")]
    Assert.Equal(61, klines.Length)
    Assert.Equal("open_time,open,high,low,close,volume,close_time,quote_volume", klines[0])
    Assert.Equal("1704067200000,100,101.5,99,100.5,2.5,1704070799999,250.25", klines[1])
    Assert.Equal("1704279600000,111,112.5,110,111.5,2.5,1704283199999,250.25", klines[60])
    let funding = files[Path.Combine("bybit-linear", "BTCUSDT-funding.csv")]
    Assert.Equal<string[]>([| "funding_time,symbol,funding_rate"; "1704067200000,BTCUSDT,0.0001" |], funding[..1])
    Assert.Equal(9, funding.Length)

    Assert.Equal("", backtest.Error)
    Assert.Equal(0, backtest.ExitCode)
    Assert.Contains("download_check on bybit_1h: 60 bars, 1 assets", backtest.Out)

[<Fact>]
let ``download from mexc maps BTCUSDT to BTC_USDT and writes a dataset under BTCUSDT that backtests`` () =
    use venue = mexc ()

    let download, backtest, files = downloadThenBacktest "mexc" venue.Url "BTCUSDT"

    Assert.Equal("", download.Error)
    Assert.Equal(0, download.ExitCode)

    Assert.Contains(
        "dataset 'mexc_1h': 1 asset(s), 60 bars, columns open high low close volume quote_volume funding_rate",
        download.Out
    )

    // 25000 contracts of 0.0001 BTC
    let klines = files[Path.Combine("mexc-contract", "BTCUSDT-1h.csv")]
    Assert.Equal(61, klines.Length)
    Assert.Equal("1704067200000,100,101.5,99,100.5,2.5000,1704070799999,250.25", klines[1])
    let funding = files[Path.Combine("mexc-contract", "BTCUSDT-funding.csv")]
    Assert.Equal("1704067200000,BTCUSDT,0.0001", funding[1])
    Assert.Equal(9, funding.Length)

    Assert.Equal("", backtest.Error)
    Assert.Equal(0, backtest.ExitCode)
    Assert.Contains("download_check on mexc_1h: 60 bars, 1 assets", backtest.Out)

[<Fact>]
let ``open interest from a venue other than binance is a usage error`` () =
    let o =
        run
            [
                "data"
                "download"
                "--exchange"
                "bybit"
                "--symbols"
                "BTCUSDT"
                "--interval"
                "1h"
                "--from"
                "2024-01-01"
                "--open-interest"
                "5m"
            ]

    Assert.Equal(2, o.ExitCode)

    Assert.Equal(
        "error: --open-interest: open interest downloads are available from binance only, not bybit",
        o.Error.Trim()
    )

[<Fact>]
let ``an interval the venue does not serve is a usage error naming the venue and what it serves`` () =
    let o =
        run
            [
                "data"
                "download"
                "--exchange"
                "mexc"
                "--symbols"
                "BTCUSDT"
                "--interval"
                "3m"
                "--from"
                "2024-01-01"
                "--base-url"
                "http://127.0.0.1:1"
            ]

    Assert.Equal(2, o.ExitCode)

    Assert.Equal(
        "error: MEXC contract serves no '3m' klines (asked for BTCUSDT); it serves 1m, 5m, 15m, 30m, 1h, 4h, 8h, 1d, 1w",
        o.Error.Trim()
    )
