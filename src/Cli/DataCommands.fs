/// `strategylab data ...`: the candle store from the command line
module StrategyLab.Cli.DataCommands

open System
open System.Collections.Immutable
open System.IO
open Argu
open StrategyLab.Runtime.Data
open StrategyLab.Runtime.Data.Csv
open StrategyLab.Cli.Output

type ListArgs =
    | [<AltCommandLine("-n")>] No_Load

    interface IArgParserTemplate with
        member a.Usage =
            match a with
            | No_Load -> "only read the catalog; do not load (or build the caches of) the datasets"

type ShowArgs =
    | [<MainCommand; Mandatory>] Dataset of name: string
    | [<AltCommandLine("-s")>] Symbol of symbol: string
    | Head of bars: int
    | Tail of bars: int

    interface IArgParserTemplate with
        member a.Usage =
            match a with
            | Dataset _ -> "the dataset to show"
            | Symbol _ -> "show this symbol's bars instead of the per-asset summary"
            | Head _ -> "with --symbol: the first N bars"
            | Tail _ -> "with --symbol: the last N bars (default 10)"

type ImportArgs =
    | [<MainCommand; Mandatory>] File of path: string
    | [<Mandatory>] Name of dataset: string
    | [<Mandatory>] Interval of interval: string
    | Symbol of symbol: string
    | Columns of map: string
    | Where of column_eq_value: string
    | Gaps of policy: string
    | Invalid_Rows of policy: string
    | Duplicates of policy: string
    | Order of policy: string

    interface IArgParserTemplate with
        member a.Usage =
            match a with
            | File _ ->
                "the CSV file: time,open,high,low,close,volume (time, timestamp or date), Binance klines, freqtrade, LEAN, Coinbase, Coinalyze, CoinMarketCap, or any layout named with --columns"
            | Name _ -> "the dataset name strategies will use"
            | Interval _ -> "the bar interval: 1m, 5m, 1h, 4h, 1d, ..."
            | Symbol _ -> "the symbol of a single-symbol file (default: from the file name)"
            | Columns _ ->
                "name the columns of any other layout, panel column=CSV column: time=ts,open=o,high=h,low=l,close=px,volume=qty (symbol=COLUMN for a symbol column)"
            | Where _ -> "read only rows with this value, e.g. resolution=minute (repeatable)"
            | Gaps _ -> "missing bars: error (default), keep (leave missing), ffill (previous close, zero volume)"
            | Invalid_Rows _ -> "rows that fail validation: error (default) or drop"
            | Duplicates _ -> "two rows for one symbol and time: error (default) or keep_first"
            | Order _ -> "rows out of time order: error (default) or sort"

/// Opens the store of a data folder
let openStore (dataDir: string) =
    if not (Directory.Exists dataDir) then
        usageError $"no data folder '{dataDir}' (set --data-dir or STRATEGYLAB_DATA)"

    DataStore(dataDir)

let private formatTime (ms: int64) = TimeParser.Format ms

let private printLog (log: ImportLog) =
    for n in log.Notes do
        printLine ("note: " + n)

    if log.DroppedRows > 0 then
        printLine $"{log.DroppedRows} invalid row(s) dropped"

    if log.Repairs.Count > 0 then
        printLine $"{log.Repairs.Count} repair(s), as the dataset's repair policy allows:"

        for r in Seq.truncate 10 log.Repairs do
            printLine ("  " + string r)

        if log.Repairs.Count > 10 then
            printLine $"  … and {log.Repairs.Count - 10} more"

/// Loads a dataset through its cache, under a spinner, turning data problems into user errors
let load (store: DataStore) (name: string) =
    try
        withProgress $"loading {name}" (fun report -> store.Load(name, (fun file f -> report $"{name}: {file}" f)))
    with
    | :? DataValidationException as e -> failure e.Message
    | :? DataFileException as e -> failure e.Message
    | :? FileNotFoundException as e -> failure e.Message
    | :? FormatException as e -> failure e.Message
    | :? Collections.Generic.KeyNotFoundException as e -> usageError e.Message

let listDatasets (store: DataStore) (args: ParseResults<ListArgs>) =
    let datasets = store.Catalog.Datasets

    if datasets.IsEmpty then
        printLine $"no datasets in {Path.Combine(store.Folder, Catalog.FileName)}"
    elif args.Contains No_Load then
        table
            [ "dataset"; "interval"; "files"; "description" ]
            (datasets
             |> Seq.map (fun d -> [ d.Name; d.Interval; string d.Sources.Length; d.Description ]))
    else
        let rows =
            [
                for d in datasets do
                    let r = load store d.Name
                    use p = r.Panel

                    let span =
                        if p.TimeCount = 0 then
                            "—"
                        else
                            $"{formatTime p.Times[0]} … {formatTime p.Times[p.TimeCount - 1]}"

                    yield
                        [
                            d.Name
                            d.Interval
                            string p.AssetCount
                            string p.TimeCount
                            span
                            String.Join(" ", p.Columns)
                            string r.Outcome
                        ]
            ]

        table [ "dataset"; "interval"; "assets"; "bars"; "span"; "columns"; "cache" ] rows

let private showSummary (p: Panel) =
    let close = p.Column("close").ToArray()
    let a = p.AssetCount

    let rows =
        p.Coverage()
        |> Seq.mapi (fun asset c -> asset, c)
        |> Seq.filter (fun (_, c) -> c.Count > 0)
        |> Seq.map (fun (asset, c) ->
            [
                p.Symbols[asset]
                formatTime p.Times[c.First]
                formatTime p.Times[c.Last]
                string c.Count
                string c.Missing
                formatNumber close[c.Last * a + asset]
            ])

    table [ "symbol"; "first bar"; "last bar"; "bars"; "missing"; "last close" ] rows

let private showBars (p: Panel) (symbol: string) (head: int option) (tail: int option) =
    let asset = p.AssetIndex symbol

    if asset < 0 then
        usageError $"dataset '{p.Name}' has no symbol '{symbol}'"

    let close = p.Series("close", asset)
    let times = p.Times.ToArray()

    let present =
        [|
            for t in 0 .. close.Length - 1 do
                if not (Double.IsNaN close[t]) then
                    yield t
        |]

    let chosen =
        match head, tail with
        | Some n, _ -> Array.truncate n present
        | None, Some n -> present[max 0 (present.Length - n) ..]
        | None, None -> present[max 0 (present.Length - 10) ..]

    let columns = List.ofSeq p.Columns
    let series = columns |> List.map (fun c -> p.Series(c, asset))

    table
        ("time" :: columns)
        (chosen
         |> Seq.map (fun t -> formatTime times[t] :: (series |> List.map (fun s -> formatNumber s[t]))))

let show (store: DataStore) (args: ParseResults<ShowArgs>) =
    let name = args.GetResult Dataset
    let r = load store name
    use p = r.Panel
    let spec = store.Catalog.Get name
    printLine $"{name}: {spec.Description}"

    printLine
        $"interval {p.Interval}, {p.AssetCount} assets, {p.TimeCount} bars, columns {String.Join(' ', p.Columns)}, cache {r.Outcome}"

    printLog r.Log

    match args.TryGetResult ShowArgs.Symbol with
    | Some s -> showBars p s (args.TryGetResult Head) (args.TryGetResult Tail)
    | None -> showSummary p

let private parseWhere (items: string list) =
    items
    |> List.map (fun w ->
        match w.Split('=', 2) with
        | [| k; v |] when k <> "" -> k, v
        | _ -> usageError $"--where: expected column=value, found '{w}'")
    |> dict
    |> ImmutableDictionary.CreateRange

let private parseColumns (text: string) =
    text.Split(',', StringSplitOptions.TrimEntries)
    |> Array.map (fun item ->
        match item.Split('=', 2, StringSplitOptions.TrimEntries) with
        | [| k; v |] when k <> "" && v <> "" -> Collections.Generic.KeyValuePair(k, v)
        | _ -> usageError $"--columns: expected column=name pairs separated by commas, found '{item}'")

let private withColumns (text: string option) (source: SourceSpec) =
    match text with
    | None -> source
    | Some t ->
        try
            source.WithColumnMap(parseColumns t)
        with :? FormatException as e ->
            usageError $"--columns: {e.Message}"

let import (store: DataStore) (args: ParseResults<ImportArgs>) =
    let file = Path.GetFullPath(args.GetResult File)

    if not (File.Exists file) then
        usageError $"no such file: {file}"

    let interval = args.GetResult Interval

    if not (fst (StrategyLab.Runtime.Data.Interval.TryParse interval)) then
        usageError $"--interval: expected 1m, 5m, 1h, 4h, 1d, ..., found '{interval}'"

    let relative = Path.GetRelativePath(store.Folder, file)

    let where =
        match args.GetResults Where with
        | [] -> null
        | items -> parseWhere items

    let repair =
        RepairSpec(
            Gaps = args.GetResult(Gaps, "error"),
            InvalidRows = args.GetResult(Invalid_Rows, "error"),
            Duplicates = args.GetResult(Duplicates, "error"),
            Order = args.GetResult(Order, "error")
        )

    try
        repair.ToPolicy() |> ignore
    with :? FormatException as e ->
        usageError e.Message

    let spec =
        DatasetSpec(
            Name = args.GetResult Name,
            Interval = interval,
            Sources =
                ImmutableArray.Create<SourceSpec>(
                    SourceSpec(File = relative, Symbol = (args.TryGetResult Symbol |> Option.toObj), Where = where)
                    |> withColumns (args.TryGetResult Columns)
                ),
            Repair = repair,
            Description = $"imported from {Path.GetFileName file}"
        )

    // validate before the catalog is touched, so a bad file leaves no half-registered dataset
    let r =
        try
            withProgress $"importing {file}" (fun report -> store.Load(spec, (fun f x -> report f x)))
        with
        | :? DataValidationException as e -> failure e.Message
        | :? DataFileException as e -> failure e.Message

    use p = r.Panel
    store.Catalog.Put spec
    printLog r.Log

    printLine
        $"imported '{spec.Name}': {p.AssetCount} asset(s), {p.TimeCount} bars, columns {String.Join(' ', p.Columns)}"
