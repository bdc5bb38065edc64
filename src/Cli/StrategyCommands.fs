/// `strategylab check | fmt | explain | backtest`: strategies from the command line
module StrategyLab.Cli.StrategyCommands

open System
open System.Collections.Immutable
open System.IO
open Argu
open StrategyLab.Runtime.Backtest
open StrategyLab.Runtime.Backtest.Reports
open StrategyLab.Runtime.Data
open StrategyLab.Runtime.Evaluation
open StrategyLab.Runtime.Research
open StrategyLab.Runtime.Runs
open StrategyLab.Strategy.Dsl
open StrategyLab.Cli.Output

/// What the options every run shares say in --help
module RunOptionUsage =
    let from =
        "first bar to trade, e.g. 2023-01-01 (earlier data still warms the indicators up)"

    let until = "end of the period, exclusive"
    let fee = "replace the strategy's maker and taker fees, in basis points"
    let capital = "starting cash in the quote currency (default 10,000)"

    let accounting =
        "ledger (what backtest reports; the default) or weights (research accounting, faster)"

type CheckArgs =
    | [<MainCommand; Mandatory>] Files of path: string list
    | Json
    | No_Data

    interface IArgParserTemplate with
        member a.Usage =
            match a with
            | Files _ -> "the .strat files to check"
            | Json ->
                "print one JSON document of every file's diagnostics on standard output (the text goes to standard error)"
            | No_Data ->
                "do not check the strategies against the data folder (the dataset, its bar, columns and universe)"

type FmtArgs =
    | [<MainCommand; Mandatory>] File of path: string
    | Check

    interface IArgParserTemplate with
        member a.Usage =
            match a with
            | File _ -> "the .strat file to format in place"
            | Check -> "change nothing; exit 2 when the file is not formatted"

type ExplainArgs =
    | [<MainCommand; Mandatory>] File of path: string

    interface IArgParserTemplate with
        member _.Usage = "the .strat file to explain"

type BacktestArgs =
    | [<MainCommand; Mandatory>] File of path: string
    | Param of name_eq_value: string
    | From of date: string
    | To of date: string
    | Fee of bps: float
    | Min_Notional of quote: float
    | Capital of quote: float
    | Export of tables: string
    | Json
    | Out of folder: string
    | Breakdown of period: string
    | Retrain
    | Models of folder: string

    interface IArgParserTemplate with
        member a.Usage =
            match a with
            | File _ -> "the .strat file to backtest"
            | Retrain -> "train the strategy's models again, ignoring stored ones"
            | Models _ -> "the model store folder (default: models beside the data cache)"
            | Param _ -> "set a parameter, e.g. --param k=7 (repeatable; checked against its range)"
            | From _ -> RunOptionUsage.from
            | To _ -> RunOptionUsage.until
            | Fee _ -> RunOptionUsage.fee
            | Min_Notional _ ->
                "the venue's minimum order notional in the quote currency; the strategy's min_notional rule skips or rounds up smaller orders"
            | Capital _ -> RunOptionUsage.capital
            | Json ->
                "print one JSON document (manifest, metrics, run folder) on standard output; the text goes to standard error"
            | Export _ ->
                "also write tables: signals, weights, trades, equity (comma-separated; NAME=FILE picks the file, Parquet when it ends in .parquet; default NAME.csv in the run folder)"
            | Out _ -> "the run folder (default runs/<strategy>-<time>)"
            | Breakdown _ -> Breakdowns.usage

// a strategy file is read only when it is a regular file of at most 1 MB
let private readSource (path: string) = Includes.readStrategyFile path

let private printDiagnostics
    (includes: Includes.DiskReader)
    (path: string)
    (text: string)
    (diagnostics: Diagnostics.Diagnostic list)
    =
    for d in diagnostics do
        Console.Error.WriteLine(Compiler.renderWith includes.Source path text d)

/// Compiles a file, printing every diagnostic; a strategy error exits with code 2. Includes are read under the
/// include rules (docs/language.md, Includes).
let compileFile (path: string) =
    let text =
        match readSource path with
        | Ok t -> t
        | Error why -> usageError $"{path}: {why}"

    let includes = Includes.DiskReader()

    match Compiler.compileWith includes.Read path text with
    | Ok plan -> plan
    | Error diagnostics ->
        printDiagnostics includes path text diagnostics
        raise (UserError($"{path}: {List.length diagnostics} error(s)", ExitCode.Usage))

// the data folder as the checker sees it: its catalogue and its files' header lines, no bars
let private dataFolder (dataDir: string) : DataCheck.DataFolder option =
    let catalogue = Path.Combine(dataDir, Catalog.FileName)

    if not (File.Exists catalogue) then
        None
    else
        let opened =
            try
                Catalog.Open dataDir
            with :? FormatException as e ->
                usageError e.Message

        let shape (name: string) =
            try
                Ok(DatasetColumns.Read(opened.Folder, opened.Get name))
            with
            | :? FormatException as e -> Error e.Message
            | :? IOException as e -> Error e.Message
            | :? UnauthorizedAccessException as e -> Error e.Message

        Some
            {
                Catalogue = catalogue
                Datasets = opened.Datasets |> Seq.map (fun d -> d.Name) |> List.ofSeq
                Shape = shape
            }

// one file's diagnostics, each rendered to standard error
let private checkOne (data: DataCheck.DataFolder option) (path: string) : JsonOutput.FileReport =
    match readSource path with
    | Error why ->
        let d = Diagnostics.fileNotRead path why
        Console.Error.WriteLine(Diagnostics.render "" d)
        { Path = path; Diagnostics = [ d ] }
    | Ok text ->
        let includes = Includes.DiskReader()

        let result =
            match data with
            | Some folder -> Compiler.compileAgainst includes.Read folder path text
            | None -> Compiler.compileWith includes.Read path text

        match result with
        | Ok _ -> { Path = path; Diagnostics = [] }
        | Error diagnostics ->
            printDiagnostics includes path text diagnostics

            {
                Path = path
                Diagnostics = diagnostics
            }

/// Runs a command on one strategy file. With --json (`json`), the human text goes to standard error and
/// standard output gets one envelope: the file's diagnostics, then the fields `work` returns a writer for,
/// or the error line that stopped the command (whose exit code is kept).
let withJson (command: string) (path: string) (json: bool) (work: unit -> Text.Json.Utf8JsonWriter -> unit) =
    if not json then
        work () |> ignore
    else
        humanTextToStandardError ()
        let file = checkOne None path

        if not file.Ok then
            JsonOutput.writeOutcome command [ file ] (Error $"{path}: {file.Diagnostics.Length} error(s)")
            raise (UserError($"{path}: {file.Diagnostics.Length} error(s)", ExitCode.Usage))

        let fields =
            try
                work ()
            with UserError(message, code) ->
                JsonOutput.writeOutcome command [ file ] (Error message)
                raise (UserError(message, code))

        JsonOutput.writeEnvelope command [ file ] fields

let check (dataDir: string) (args: ParseResults<CheckArgs>) =
    let json = args.Contains CheckArgs.Json

    let data = if args.Contains No_Data then None else dataFolder dataDir

    let reports = args.GetResult Files |> List.map (checkOne data)

    for r in reports do
        let line =
            if r.Ok then
                $"{r.Path}: ok"
            else
                $"{r.Path}: {r.Diagnostics.Length} error(s)"

        match r.Ok, json with
        | true, false -> printLine line
        | true, true -> Console.Error.WriteLine line
        | false, _ -> printError line

    if json then
        JsonOutput.writeEnvelope "check" reports ignore

    let failed = reports |> List.filter (fun r -> not r.Ok)

    if not failed.IsEmpty then
        raise (UserError($"{failed.Length} of {reports.Length} file(s) have errors", ExitCode.Usage))

// written beside the file and renamed over it, so a crash leaves the old text or the new, never a mix; a
// symbolic link keeps pointing at the file it names
let private writeAtomically (path: string) (text: string) =
    let target =
        match FileInfo(path).ResolveLinkTarget true with
        | null -> path
        | t -> t.FullName

    let folder =
        match Path.GetDirectoryName(Path.GetFullPath target) with
        | null -> "."
        | f -> f

    let temp =
        Path.Combine(folder, $".{Path.GetFileName target}.{Guid.NewGuid():N}.tmp")

    try
        File.WriteAllText(temp, text, Text.UTF8Encoding false)

        if not (OperatingSystem.IsWindows()) then
            File.SetUnixFileMode(temp, File.GetUnixFileMode target)

        File.Move(temp, target, true)
    finally
        if File.Exists temp then
            File.Delete temp

let fmt (args: ParseResults<FmtArgs>) =
    let path = args.GetResult FmtArgs.File

    let text =
        match readSource path with
        | Ok t -> t
        | Error why -> usageError $"{path}: {why}"

    let includes = Includes.DiskReader()

    match Compiler.formatWith includes.Read path text with
    | Error diagnostics ->
        printDiagnostics includes path text diagnostics

        raise (
            UserError(
                $"{path}: not formatted: {List.length diagnostics} error(s); the file is unchanged",
                ExitCode.Usage
            )
        )
    | Ok formatted when formatted = text -> printLine $"{path}: formatted"
    | Ok _ when args.Contains Check ->
        raise (UserError($"{path}: not formatted; run strategylab fmt {path}", ExitCode.Usage))
    | Ok formatted ->
        writeAtomically path formatted
        printLine $"{path}: reformatted"

let explain (args: ParseResults<ExplainArgs>) =
    compileFile (args.GetResult ExplainArgs.File) |> Compiler.explain |> printLine

/// A --from or --to date as Unix milliseconds (UTC unless the text says otherwise); a usage error otherwise
let parseDate (option: string) (text: string) =
    match
        DateTimeOffset.TryParse(
            text,
            Globalization.CultureInfo.InvariantCulture,
            Globalization.DateTimeStyles.AssumeUniversal
            ||| Globalization.DateTimeStyles.AdjustToUniversal
        )
    with
    | true, d -> d.ToUnixTimeMilliseconds()
    | _ -> usageError $"{option}: expected a date such as 2024-01-01, found '{text}'"

/// `--param name=value` pairs by name (the last of a repeated name wins); a malformed one is a usage error
let parseParams (given: string list) =
    let pairs = Collections.Generic.Dictionary<string, string>()

    for p in given do
        match p.Split('=', 2) with
        | [| k; v |] when k <> "" -> pairs[k] <- v
        | _ -> usageError $"--param: expected name=value, found '{p}'"

    pairs

/// Run settings from the command line, checked before any work: a bad value is a usage error
let runSettings from ``to`` (fee: float option) minNotional capital =
    let settings =
        RunSettings(
            Option.toNullable from,
            Option.toNullable ``to``,
            fee |> Option.map (fun bps -> bps / 10000.0) |> Option.toNullable,
            Option.toNullable minNotional,
            defaultArg capital RunSettings.DefaultCapital
        )

    try
        settings.Validate()
        settings
    with :? PlanException as e ->
        usageError e.Message

/// Binds a strategy to its dataset (aggregated to its bar and checked once) with parameters from
/// `--param`; the dataset's panel is cut to its first `bars` bars when asked. A refusal is a usage
/// error naming the strategy file. Dispose the run, then the panel.
let prepareRun (dataDir: string) (path: string) (plan: StrategyLab.Runtime.Plan.StrategyPlan) (cut: Panel -> Panel) =
    let store = DataCommands.openStore dataDir
    let panel = cut (DataCommands.load store plan.Dataset).Panel
    let run = refusedAs path (fun () -> PreparedRun.Prepare(plan, panel))
    store, panel, run

// the portfolio signal's IC and directional accuracy, when the backtest analysed one
let private signalRows (report: BacktestReport) =
    match report.SignalAnalysis with
    | null -> []
    | s ->
        let num (x: float) =
            if Double.IsNaN x then
                "—"
            else
                x.ToString("0.000", Globalization.CultureInfo.InvariantCulture)

        let ic = s.InformationCoefficient.PerPeriod

        [
            [ "signal IC (mean)"; num ic.Mean; "" ]
            [ "signal IC t-stat"; num ic.TStatistic; "" ]
            [
                "directional accuracy"
                (if Double.IsNaN s.DirectionalAccuracy.Accuracy then
                     "—"
                 else
                     s.DirectionalAccuracy.Accuracy.ToString("0.00%", Globalization.CultureInfo.InvariantCulture))
                ""
            ]
        ]

let private summary (report: BacktestReport) =
    let m = report.Metrics
    let t = report.TradeStatistics

    let pct (x: float) =
        x.ToString("0.00%", Globalization.CultureInfo.InvariantCulture)

    let num (x: float) =
        if Double.IsNaN x then
            "—"
        else
            x.ToString("0.000", Globalization.CultureInfo.InvariantCulture)

    // an annualised figure of a run shorter than a month is marked, as the report marks it (see the note)
    let annualised (metrics: PerformanceMetrics) (text: string) =
        if metrics.SpansLessThanAMonth() then text + "*" else text

    // a metric of the strategy and, where the run has one, of the benchmark
    let both name (show: PerformanceMetrics -> string) =
        [
            name
            show m
            report.BenchmarkMetrics
            |> Option.ofObj
            |> Option.map show
            |> Option.defaultValue ""
        ]

    table
        [
            "metric"
            "strategy"
            report.BenchmarkName |> Option.ofObj |> Option.defaultValue ""
        ]
        [
            both "total return" (fun x -> pct x.TotalReturn)
            both "annualised return" (fun x -> annualised x (pct x.AnnualizedReturn))
            both "sharpe" (fun x -> annualised x (num x.Sharpe))
            [ "sortino"; annualised m (num m.Sortino); "" ]
            both "max drawdown" (fun x -> pct x.MaxDrawdown)
            [ "trades (closed / open)"; $"{t.Closed} / {t.Open}"; "" ]
            [ "win rate"; pct t.WinRate; "" ]
            [ "profit factor"; num t.ProfitFactor; "" ]
            [
                "turnover per bar"
                pct (
                    if report.Turnover.Length > 0 then
                        Array.average report.Turnover
                    else
                        nan
                )
                ""
            ]
            yield! signalRows report
        ]

/// `--export signals,weights=w.parquet`: each table with its file, a bare name going to NAME.csv in the run folder
let private exports (given: string list) =
    let names =
        Enum.GetValues<ExportTable>() |> Seq.map RunExport.Name |> String.concat ", "

    [
        for text in given do
            for item in text.Split(',', StringSplitOptions.RemoveEmptyEntries ||| StringSplitOptions.TrimEntries) do
                let name, file =
                    match item.Split('=', 2) with
                    | [| n; f |] when f <> "" -> n, Some f
                    | [| n |] -> n, None
                    | _ -> usageError $"--export: expected NAME or NAME=FILE, found '{item}'"

                match RunExport.Parse name |> Option.ofNullable with
                | Some table -> table, file
                | None -> usageError $"--export: expected one of {names}, found '{name}'"
    ]
    |> List.distinctBy fst

// the backtest: everything the terminal shows, and the fields of its JSON document
let private runBacktest (dataDir: string) (path: string) (args: ParseResults<BacktestArgs>) =

    let breakdowns =
        args.GetResults Breakdown |> List.map Breakdowns.parse |> List.distinct

    let settings =
        runSettings
            (args.TryGetResult From |> Option.map (parseDate "--from"))
            (args.TryGetResult To |> Option.map (parseDate "--to"))
            (args.TryGetResult Fee)
            (args.TryGetResult Min_Notional)
            (args.TryGetResult Capital)

    let exports = exports (args.GetResults Export)
    let plan = compileFile path
    let store, data, prepared = prepareRun dataDir path plan id
    use _ = data
    use run = prepared

    let parameters =
        refusedAs path (fun () -> run.Parse(parseParams (args.GetResults Param)))

    let models =
        ModelTraining.trainModels
            path
            run
            parameters
            (ModelTraining.modelStore store (args.TryGetResult Models))
            (args.Contains Retrain)

    use result =
        refusedAs path (fun () ->
            withProgress $"backtesting {plan.Name}" (fun report ->
                run.Backtest(parameters, settings, models, (fun f -> report $"backtesting {plan.Name}" f))))

    let report = refusedAs path (fun () -> run.Report(result, settings, models))

    let folder =
        args.TryGetResult Out
        |> Option.defaultWith (fun () ->
            let stamp =
                DateTime.UtcNow.ToString("yyyyMMdd-HHmmss", Globalization.CultureInfo.InvariantCulture)

            Path.Combine("runs", $"{plan.Name}-{stamp}"))

    RunFolder.Write(folder, report)

    let exported =
        [
            for table, file in exports ->
                let file =
                    file
                    |> Option.defaultWith (fun () -> Path.Combine(folder, RunExport.Name table + ".csv"))

                refusedAs path (fun () -> RunExport.Write(file, table, run, result, models))
                file
        ]

    printLine $"{plan.Name} on {plan.Dataset}: {result.Panel.TimeCount} bars, {result.Panel.AssetCount} assets"
    summary report
    breakdowns |> List.iter (Breakdowns.print report)

    for note in report.Notes do
        printLine ("note: " + note)

    for warning in report.Warnings do
        printWarning warning

    printLine
        $"run written to {folder} (report.html with its charting script, metrics.json, equity.csv, trades.csv, manifest.json)"

    for file in exported do
        printLine $"exported {file}"

    fun (w: Text.Json.Utf8JsonWriter) ->
        w.WriteString("run", folder)
        w.WritePropertyName "manifest"
        w.WriteRawValue(RunFolder.ManifestJson report)
        w.WritePropertyName "metrics"
        w.WriteRawValue(RunFolder.MetricsJson report)
        w.WriteStartArray "exported"

        for file in exported do
            w.WriteStringValue file

        w.WriteEndArray()

let backtest (dataDir: string) (args: ParseResults<BacktestArgs>) =
    let path = args.GetResult BacktestArgs.File
    withJson "backtest" path (args.Contains BacktestArgs.Json) (fun () -> runBacktest dataDir path args)
