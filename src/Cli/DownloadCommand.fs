/// `strategylab data download`: exchange history into the data folder, registered as a dataset
module StrategyLab.Cli.DownloadCommand

open System
open System.Collections.Immutable
open System.Globalization
open System.IO
open System.Threading
open Argu
open Spectre.Console
open StrategyLab.Exchanges
open StrategyLab.Exchanges.Binance
open StrategyLab.Exchanges.History
open StrategyLab.Runtime.Data
open StrategyLab.Cli.Output

type DownloadArgs =
    | [<Mandatory>] Exchange of name: string
    | [<Mandatory>] Symbols of list: string
    | [<Mandatory>] Interval of interval: string
    | [<Mandatory>] From of date: string
    | To of date: string
    | Funding
    | Open_Interest of period: string
    | Name of dataset: string
    | Gaps of policy: string
    | [<Hidden>] Base_Url of url: string

    interface IArgParserTemplate with
        member a.Usage =
            match a with
            | Exchange _ -> "the venue: binance (USDⓈ-M futures), bybit (linear perpetuals) or mexc (contract)"
            | Symbols _ ->
                "comma-separated symbols as datasets name them, e.g. BTCUSDT,ETHUSDT (mexc also takes BTC_USDT; files and assets are BTCUSDT)"
            | Interval _ -> "the kline interval: 1m, 5m, 15m, 1h, 4h, 1d, ... (each venue serves its own set)"
            | From _ ->
                "first bar to fetch, e.g. 2024-01-01 (a file that already has rows continues from its last row, checked again)"
            | To _ -> "end, exclusive (default: now by the venue's clock; bars still open there are never written)"
            | Funding -> "also download the funding-rate history, joined as the funding_rate column"
            | Open_Interest _ ->
                "also download open interest at this period (binance only; it serves the latest 30 days only)"
            | Name _ -> "the dataset to register (default <exchange>_<interval>, e.g. bybit_1h)"
            | Gaps _ -> "missing bars in the downloaded data: error (default), keep, ffill"
            | Base_Url _ -> "the REST base address (for tests against a local venue)"

let private parseDate (option: string) (text: string) =
    match
        DateTimeOffset.TryParse(
            text,
            CultureInfo.InvariantCulture,
            DateTimeStyles.AssumeUniversal ||| DateTimeStyles.AdjustToUniversal
        )
    with
    | true, d -> d
    | _ -> usageError $"{option}: expected a date such as 2024-01-01 or 2024-01-01T12:00Z, found '{text}'"

/// Reports progress synchronously, so a bar moves as pages are written
type private BarProgress(update: DownloadProgress -> unit) =
    interface IProgress<DownloadProgress> with
        member _.Report p = update p

let private runWithBars (label: string) (work: IProgress<DownloadProgress> -> 'T) : 'T =
    if AnsiConsole.Profile.Capabilities.Interactive then
        AnsiConsole
            .Progress()
            .Columns(
                TaskDescriptionColumn(),
                ProgressBarColumn(),
                PercentageColumn(),
                RemainingTimeColumn(),
                SpinnerColumn()
            )
            .Start(fun ctx ->
                let tasks = Collections.Generic.Dictionary<string, ProgressTask>()

                work (
                    BarProgress(fun p ->
                        let key = p.Symbol + " " + p.Dataset

                        let task =
                            match tasks.TryGetValue key with
                            | true, t -> t
                            | _ ->
                                let t = ctx.AddTask(Markup.Escape $"{label} {key}", maxValue = 1.0)
                                tasks[key] <- t
                                t

                        task.Value <- p.Fraction
                        let reached = p.Reached.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture)
                        task.Description <- Markup.Escape $"{key}: {p.RowsWritten:N0} rows to {reached}")
                ))
    else
        work (BarProgress ignore)

let private exchangeError (e: ExchangeException) =
    match e.Kind with
    | ExchangeErrorKind.InvalidRequest -> usageError e.Message
    | _ -> failure e.Message

let private venueOf (name: string) =
    match Venues.Find name with
    | null -> usageError $"--exchange: expected {Venues.Choices}, found '{name.Trim().ToLowerInvariant()}'"
    | venue -> venue

let private baseAddress (text: string) =
    match Uri.TryCreate(text, UriKind.Absolute) with
    | true, uri -> uri
    | _ -> usageError $"--base-url: expected an absolute address such as http://127.0.0.1:8080, found '{text}'"

/// Downloads, registers the dataset, loads it (which validates every row) and prints a summary
let download (store: DataStore) (args: ParseResults<DownloadArgs>) =
    let venue = venueOf (args.GetResult Exchange)

    if args.Contains Open_Interest && venue <> Venues.Binance then
        usageError $"--open-interest: open interest downloads are available from binance only, not {venue.Name}"

    let symbols =
        (args.GetResult Symbols).Split(',', StringSplitOptions.RemoveEmptyEntries ||| StringSplitOptions.TrimEntries)
        |> Array.map (fun s -> s.ToUpperInvariant())
        |> List.ofArray

    if symbols.IsEmpty then
        usageError "--symbols: expected at least one symbol"

    let interval = args.GetResult Interval

    if not (fst (StrategyLab.Runtime.Data.Interval.TryParse interval)) then
        usageError $"--interval: expected 1m, 5m, 15m, 1h, 4h, 1d, ..., found '{interval}'"

    let from = parseDate "--from" (args.GetResult From)
    let until = args.TryGetResult To |> Option.map (parseDate "--to")
    let gaps = args.GetResult(Gaps, "error")

    try
        RepairSpec(Gaps = gaps).ToPolicy() |> ignore
    with :? FormatException as e ->
        usageError e.Message

    let name = args.GetResult(Name, $"{venue.Name}_{interval}")
    let restBase = args.TryGetResult Base_Url |> Option.map baseAddress

    use history =
        try
            venue.History(Option.toObj restBase)
        with :? ExchangeException as e ->
            exchangeError e

    let folder = Path.Combine(store.Folder, history.Folder)

    use cancel = new CancellationTokenSource()

    let onCancel =
        ConsoleCancelEventHandler(fun _ e ->
            e.Cancel <- true
            cancel.Cancel())

    Console.CancelKeyPress.AddHandler onCancel

    let summaries =
        try
            try
                runWithBars venue.Name (fun progress ->
                    [
                        yield
                            history
                                .DownloadKlinesAsync(
                                    KlineDownloadRequest(symbols, interval, from, Option.toNullable until, folder),
                                    progress,
                                    cancel.Token
                                )
                                .GetAwaiter()
                                .GetResult()
                        if args.Contains Funding then
                            yield
                                history
                                    .DownloadFundingAsync(
                                        FundingDownloadRequest(symbols, from, Option.toNullable until, folder),
                                        progress,
                                        cancel.Token
                                    )
                                    .GetAwaiter()
                                    .GetResult()
                        match args.TryGetResult Open_Interest, history with
                        | Some period, (:? BinanceFuturesHistory as binance) ->
                            yield
                                binance
                                    .DownloadOpenInterestAsync(
                                        OpenInterestDownloadRequest(
                                            symbols,
                                            period,
                                            from,
                                            Option.toNullable until,
                                            folder
                                        ),
                                        progress,
                                        cancel.Token
                                    )
                                    .GetAwaiter()
                                    .GetResult()
                        | _ -> ()
                    ])
            with
            | :? ExchangeException as e -> exchangeError e
            | :? OperationCanceledException ->
                failure
                    "download interrupted; every row written so far is kept, and running the same command again resumes"
        finally
            Console.CancelKeyPress.RemoveHandler onCancel

    for s in summaries do
        for note in s.Notes do
            printLine ("note: " + note)

    let spec =
        match summaries with
        | klines :: joined -> DownloadedDataset.Spec(store, name, interval, gaps, history, klines, joined)
        | [] -> failure "nothing was downloaded"

    let loaded =
        try
            store.Load spec
        with :? DataValidationException as e ->
            failure (
                e.Message
                + $"{Environment.NewLine}the files are kept in {folder}; import them with a repair policy (e.g. --gaps keep) to use them"
            )

    use panel = loaded.Panel
    store.Catalog.Put spec
    let rows = summaries |> List.sumBy (fun s -> s.RowsWritten)

    printLine
        $"downloaded {rows:N0} new row(s) into {folder}; dataset '{name}': {panel.AssetCount} asset(s), {panel.TimeCount:N0} bars, columns {String.Join(' ', panel.Columns)}"
