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
    Assert.Contains("downloads are available from binance only", o.Error)
