module StrategyLab.Cli.Tests.DataCommandTests

open System
open System.Diagnostics
open System.Globalization
open System.IO
open System.Text
open System.Text.RegularExpressions
open System.Threading
open Xunit
open StrategyLab.Cli.Tests.Cli

let private noStackTrace (o: Outcome) =
    Assert.DoesNotContain("   at ", o.Error)
    Assert.DoesNotContain("Exception", o.Error)

[<Fact>]
let ``data list shows every bundled dataset with its assets and bars`` () =
    let o = run [ "data"; "list" ]
    Assert.Equal(0, o.ExitCode)
    Assert.Contains("daily_top100", o.Out)
    Assert.Matches(@"daily_top100\s+1d\s+145\s+2125", o.Out)
    Assert.Contains("xrpusdt_perp_5m", o.Out)

[<Fact>]
let ``data show prints a symbol's last bars as the file has them`` () =
    let o = run [ "data"; "show"; "daily_top100"; "--symbol"; "BTC"; "--tail"; "1" ]
    Assert.Equal(0, o.ExitCode)
    // the last BTC row of data/daily/coinbase_usd_daily_ohlcv_2020_2025.csv
    let last =
        File.ReadLines(Path.Combine(repositoryRoot, "data/daily/coinbase_usd_daily_ohlcv_2020_2025.csv"))
        |> Seq.filter (fun l -> l.Contains ",BTC/USD,")
        |> Seq.last

    let fields = last.Split ','
    Assert.Contains(fields[0], o.Out)
    Assert.Contains(fields[6], o.Out)

[<Fact>]
let ``an unknown dataset is a usage error with a hint`` () =
    let o = run [ "data"; "show"; "daily_top10" ]
    Assert.Equal(2, o.ExitCode)
    Assert.Contains("did you mean 'daily_top100'?", o.Error)
    Assert.Equal(1, o.Error.Trim().Split('\n').Length)
    noStackTrace o

[<Fact>]
let ``an unknown option is a one-line usage error with exit code 2`` () =
    let o = run [ "data"; "list"; "--frobnicate" ]
    Assert.Equal(2, o.ExitCode)
    Assert.Equal(1, o.Error.Trim().Split('\n').Length)
    Assert.Contains("--frobnicate", o.Error)
    noStackTrace o

[<Theory>]
[<InlineData("")>]
[<InlineData("data")>]
[<InlineData("data list")>]
[<InlineData("data show")>]
[<InlineData("data import")>]
[<InlineData("data download")>]
[<InlineData("backtest")>]
[<InlineData("check")>]
[<InlineData("fmt")>]
[<InlineData("explain")>]
let ``every command has help`` (command: string) =
    let args =
        (command.Split(' ', System.StringSplitOptions.RemoveEmptyEntries) |> List.ofArray)
        @ [ "--help" ]

    let o = run args
    Assert.Equal(0, o.ExitCode)
    Assert.Contains("USAGE: strategylab", o.Out)

[<Fact>]
let ``importing a broken file names file line and field, exits 1 and registers nothing`` () =
    use folder = new TempFolder()

    folder.Write "bad.csv" "date,open,high,low,close,volume\n2024-01-01,1,2,0.5,1.5,10\n2024-01-02,1,2,0.5,x,10\n"
    |> ignore

    let o =
        runIn
            folder.Path
            [
                "data"
                "import"
                "bad.csv"
                "--name"
                "bad"
                "--interval"
                "1d"
                "--data-dir"
                "."
            ]

    Assert.Equal(1, o.ExitCode)
    Assert.Contains("bad.csv(3): close: expected a number, found 'x'", o.Error)
    Assert.False(File.Exists(Path.Combine(folder.Path, "datasets.json")))
    noStackTrace o

[<Fact>]
let ``an imported file becomes a dataset that list and show can read`` () =
    use folder = new TempFolder()

    folder.Write
        "ETHUSDT-1h.csv"
        "open_time,open,high,low,close,volume,close_time,quote_volume,count,taker_buy_volume,taker_buy_quote_volume,ignore\n1704067200000,2281.87,2297.00,2280.01,2295.51,14221.5,1704070799999,32526531.2,28153,7462.0,17066536.6,0\n1704074400000,2295.51,2300.00,2290.00,2299.00,10000.0,1704077999999,22990000.0,20000,5000.0,11495000.0,0\n"
    |> ignore

    let gap =
        runIn
            folder.Path
            [
                "data"
                "import"
                "ETHUSDT-1h.csv"
                "--name"
                "eth"
                "--interval"
                "1h"
                "-d"
                "."
            ]

    Assert.Equal(1, gap.ExitCode)
    Assert.Contains("ETHUSDT: 1 bar(s) missing between 2024-01-01 and 2024-01-01T02:00:00Z", gap.Error)

    let o =
        runIn
            folder.Path
            [
                "data"
                "import"
                "ETHUSDT-1h.csv"
                "--name"
                "eth"
                "--interval"
                "1h"
                "--gaps"
                "ffill"
                "-d"
                "."
            ]

    Assert.Equal(0, o.ExitCode)
    Assert.Contains("filled with the previous close", o.Out)
    let show = runIn folder.Path [ "data"; "show"; "eth"; "-s"; "ETHUSDT"; "-d"; "." ]
    Assert.Equal(0, show.ExitCode)
    Assert.Contains("2024-01-01T01:00:00Z", show.Out)
    Assert.Contains("2299", show.Out)

/// Starts `strategylab args` in the folder without waiting; the second value completes with its outcome
let private start (folder: string) (args: string list) =
    let info =
        ProcessStartInfo(
            "dotnet",
            WorkingDirectory = folder,
            RedirectStandardOutput = true,
            RedirectStandardError = true
        )

    info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "strategylab.dll"))

    for a in args do
        info.ArgumentList.Add a

    let p =
        match Process.Start info with
        | null -> failwith "strategylab did not start"
        | p -> p

    let out = p.StandardOutput.ReadToEndAsync()
    let err = p.StandardError.ReadToEndAsync()

    let outcome =
        task {
            do! p.WaitForExitAsync()

            return
                {
                    ExitCode = p.ExitCode
                    Out = out.Result
                    Error = err.Result
                }
        }

    p, outcome

/// A Coinbase-layout candle file of `assets` × `days` daily bars (a deterministic walk) and a catalog naming it
let private writeDataset (folder: TempFolder) (name: string) (assets: int) (days: int) =
    let text = StringBuilder("date,symbol,base,open,high,low,close,volume\n")
    let first = DateTime(2020, 1, 1)

    for d in 0 .. days - 1 do
        let date =
            first.AddDays(float d).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)

        for a in 0 .. assets - 1 do
            let close = 100.0 + float ((d * 7 + a * 13) % 50)

            text.Append(
                String.Format(
                    CultureInfo.InvariantCulture,
                    "{0},A{1}/USD,A{1},{2},{3},{4},{5},{6}\n",
                    date,
                    a,
                    close - 1.0,
                    close + 2.0,
                    close - 3.0,
                    close,
                    a + d
                )
            )
            |> ignore

    Directory.CreateDirectory(Path.Combine(folder.Path, "data")) |> ignore
    folder.Write $"data/{name}.csv" (string text) |> ignore

    folder.Write
        "data/datasets.json"
        $"""{{ "datasets": [ {{ "name": "{name}", "interval": "1d", "sources": [ {{ "file": "{name}.csv" }} ] }} ] }}"""
    |> ignore

let private cacheEntries (folder: TempFolder) =
    DirectoryInfo(Path.Combine(folder.Path, "data", ".cache")).GetFileSystemInfos()
    |> Array.map (fun e -> e.Name)
    |> Array.sort

let private cacheLine (o: Outcome) =
    Regex.Match(o.Out, @"cache (\w+)").Groups[1].Value

[<Fact>]
let ``eight processes opening a data folder with no cache all succeed, and one of them builds it`` () =
    for round in 1..4 do
        use folder = new TempFolder()
        writeDataset folder "panel" 40 1500

        let outcomes =
            [ for _ in 1..8 -> start folder.Path [ "data"; "show"; "panel" ] ]
            |> List.map (fun (_, o) -> o.Result)

        for o in outcomes do
            Assert.True(o.ExitCode = 0, $"round {round}: exit code {o.ExitCode}: {o.Error}")

        Assert.Equal<string list>(
            "Built" :: List.replicate 7 "Hit",
            outcomes |> List.map cacheLine |> List.sortBy (fun c -> c <> "Built")
        )

        let tables =
            outcomes
            |> List.map (fun o -> Regex.Replace(o.Out, @"cache \w+", "cache"))
            |> List.distinct

        Assert.Equal(1, tables.Length)
        Assert.Equal<string array>([| "panel"; "panel.lock" |], cacheEntries folder)

[<Fact>]
let ``a build killed midway leaves its folder, and the next load removes it`` () =
    use folder = new TempFolder()
    writeDataset folder "big" 200 1500
    let data = Path.Combine(folder.Path, "data")

    // the build's private folder exists for as long as the CSV is parsed: kill the process once it appears
    let rec killMidBuild attempt =
        let p, outcome = start folder.Path [ "data"; "show"; "big" ]
        let name = $"big.tmp-{p.Id}"
        let leftover = Path.Combine(data, ".cache", name)

        while not p.HasExited && not (Directory.Exists leftover) do
            Thread.Sleep 1

        if not p.HasExited then
            p.Kill()

        outcome.Result |> ignore

        if Directory.Exists leftover then
            name, leftover
        elif attempt < 5 then
            killMidBuild (attempt + 1)
        else
            failwith "the build finished each time before it could be killed"

    let name, leftover = killMidBuild 1
    Assert.True(Directory.Exists leftover)
    let o = runIn folder.Path [ "data"; "show"; "big" ]
    Assert.Equal(0, o.ExitCode)
    Assert.False(Directory.Exists leftover)
    Assert.Contains($"removed {name}", o.Out)
    Assert.Equal<string array>([| "big"; "big.lock" |], cacheEntries folder)

/// Runs `strategylab args` as a user who cannot read files that only their owner may (root reads everything)
let private runUnprivileged (folder: string) (args: string list) =
    let info =
        if Environment.IsPrivilegedProcess then
            let i = ProcessStartInfo("setpriv", WorkingDirectory = folder)

            for a in [ "--reuid=65534"; "--regid=65534"; "--clear-groups"; "dotnet" ] do
                i.ArgumentList.Add a

            i
        else
            ProcessStartInfo("dotnet", WorkingDirectory = folder)

    info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "strategylab.dll"))

    for a in args do
        info.ArgumentList.Add a

    info.RedirectStandardOutput <- true
    info.RedirectStandardError <- true
    info.Environment["HOME"] <- Path.GetTempPath()

    use p =
        match Process.Start info with
        | null -> failwith "strategylab did not start"
        | p -> p

    let out = p.StandardOutput.ReadToEndAsync()
    let err = p.StandardError.ReadToEndAsync()
    p.WaitForExit()

    {
        ExitCode = p.ExitCode
        Out = out.Result
        Error = err.Result
    }

[<Fact>]
let ``an unreadable file is a one-line error that names it`` () =
    use folder = new TempFolder()

    let file =
        folder.Write "locked.csv" "date,open,high,low,close,volume\n2024-01-01,1,2,0.5,1.5,10\n"

    File.SetUnixFileMode(file, UnixFileMode.UserWrite)

    let o =
        runUnprivileged
            folder.Path
            [
                "data"
                "import"
                "locked.csv"
                "--name"
                "locked"
                "--interval"
                "1d"
                "-d"
                "."
            ]

    Assert.Equal(1, o.ExitCode)
    Assert.Equal($"error: cannot read data file {file}: permission denied", o.Error.Trim())

[<Fact>]
let ``the plain time,open,high,low,close,volume header imports with epoch seconds`` () =
    use folder = new TempFolder()

    folder.Write
        "SOLUSDT.csv"
        "time,open,high,low,close,volume\n1704067200,101.5,103,100,102,7\n1704070800,102,104,101,103.5,9\n"
    |> ignore

    let o =
        runIn
            folder.Path
            [
                "data"
                "import"
                "SOLUSDT.csv"
                "--name"
                "sol"
                "--interval"
                "1h"
                "-d"
                "."
            ]

    Assert.Equal(0, o.ExitCode)
    Assert.Contains("imported 'sol': 1 asset(s), 2 bars", o.Out)
    let show = runIn folder.Path [ "data"; "show"; "sol"; "-s"; "SOLUSDT"; "-d"; "." ]
    Assert.Matches(@"2024-01-01T01:00:00Z\s+102\s+104\s+101\s+103\.5\s+9", show.Out)

// the example in README.md, section Data
[<Fact>]
let ``any other layout imports with --columns`` () =
    use folder = new TempFolder()

    folder.Write
        "trades_export.csv"
        "ts,px,o,h,l,qty\n1704067200000,42500.5,42283.6,42554.6,42261,1271.7\n1704070800000,42613.6,42475.2,42775,42431.7,1196.4\n"
    |> ignore

    let o =
        runIn
            folder.Path
            [
                "data"
                "import"
                "trades_export.csv"
                "--name"
                "btc_1h"
                "--interval"
                "1h"
                "--symbol"
                "BTCUSDT"
                "--columns"
                "time=ts,open=o,high=h,low=l,close=px,volume=qty"
                "-d"
                "."
            ]

    Assert.Equal(0, o.ExitCode)

    let show =
        runIn folder.Path [ "data"; "show"; "btc_1h"; "-s"; "BTCUSDT"; "-d"; "." ]

    Assert.Matches(@"2024-01-01T01:00:00Z\s+42475\.2\s+42775\s+42431\.7\s+42613\.6\s+1196\.4", show.Out)

    let twice =
        runIn
            folder.Path
            [
                "data"
                "import"
                "trades_export.csv"
                "--name"
                "x"
                "--interval"
                "1h"
                "--columns"
                "time=ts,close=px,close=o"
                "-d"
                "."
            ]

    Assert.Equal(2, twice.ExitCode)
    Assert.Equal("error: --columns: the column 'close' is named twice", twice.Error.Trim())

[<Fact>]
let ``dropping invalid rows says how many were dropped`` () =
    use folder = new TempFolder()
    let rows = [ for d in 1..30 -> $"2024-01-{d:D2},10,12,9,11,5" ]

    let broken =
        rows
        |> List.mapi (fun i r -> if i >= 10 && i < 23 then r.Replace(",11,", ",x,") else r)

    folder.Write "BTC.csv" ("date,open,high,low,close,volume\n" + String.Join("\n", broken) + "\n")
    |> ignore

    let o =
        runIn
            folder.Path
            [
                "data"
                "import"
                "BTC.csv"
                "--name"
                "btc"
                "--interval"
                "1d"
                "--invalid-rows"
                "drop"
                "--gaps"
                "keep"
                "-d"
                "."
            ]

    Assert.Equal(0, o.ExitCode)
    Assert.Contains("13 invalid row(s) dropped", o.Out)
    Assert.Contains("imported 'btc': 1 asset(s), 17 bars", o.Out)

[<Fact>]
let ``an unclosed quote is an error at the line where it opens, even when dropping rows`` () =
    use folder = new TempFolder()
    let rows = [ for d in 1..20 -> $"2024-01-{d:D2},10,12,9,11,5" ]

    let broken =
        rows |> List.mapi (fun i r -> if i = 4 then r.Replace(",12,", ",\"12,") else r)

    folder.Write "BTC.csv" ("date,open,high,low,close,volume\n" + String.Join("\n", broken) + "\n")
    |> ignore

    let o =
        runIn
            folder.Path
            [
                "data"
                "import"
                "BTC.csv"
                "--name"
                "btc"
                "--interval"
                "1d"
                "--invalid-rows"
                "drop"
                "-d"
                "."
            ]

    Assert.Equal(1, o.ExitCode)
    Assert.Contains("BTC.csv(6): high: the quote that opens here is never closed", o.Error)
    noStackTrace o

[<Fact>]
let ``a data folder the user may only read serves the cache built in it`` () =
    use folder = new TempFolder()
    writeDataset folder "panel" 3 20
    let built = runIn folder.Path [ "data"; "show"; "panel" ]
    Assert.Equal(0, built.ExitCode)
    // as a cache copied without its lock file, or built before caches had one
    File.Delete(Path.Combine(folder.Path, "data", ".cache", "panel.lock"))

    let readOnly =
        UnixFileMode.UserRead
        ||| UnixFileMode.UserExecute
        ||| UnixFileMode.GroupRead
        ||| UnixFileMode.GroupExecute
        ||| UnixFileMode.OtherRead
        ||| UnixFileMode.OtherExecute

    let folders =
        [
            Path.Combine(folder.Path, "data")
            Path.Combine(folder.Path, "data", ".cache")
        ]

    for f in folders do
        File.SetUnixFileMode(f, readOnly)

    try
        let o = runUnprivileged folder.Path [ "data"; "show"; "panel" ]
        Assert.True(o.ExitCode = 0, o.Error)
        Assert.Contains("cache Hit", o.Out)
    finally
        for f in folders do
            File.SetUnixFileMode(f, readOnly ||| UnixFileMode.UserWrite)
