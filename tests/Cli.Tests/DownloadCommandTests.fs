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

/// A venue on 127.0.0.1 serving 24 hourly BTCUSDT klines, paged by startTime/endTime/limit as Binance does
type private FakeVenue() =
    let app =
        let builder = WebApplication.CreateBuilder()
        builder.Logging.ClearProviders() |> ignore
        builder.WebHost.UseUrls "http://127.0.0.1:0" |> ignore
        builder.Build()

    do
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
                        t >= from && t <= until)
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

[<Fact>]
let ``download writes the venue's klines, registers a dataset and resumes where it stopped`` () =
    use venue = new FakeVenue()
    use folder = new TempFolder()

    let download until =
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
    Assert.Contains("downloads are available from binance only", o.Error)
