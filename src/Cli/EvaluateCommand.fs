/// `strategylab evaluate`: how well a strategy's signal sorts the returns that follow it
module StrategyLab.Cli.EvaluateCommand

open System
open System.IO
open Argu
open StrategyLab.Runtime.Plan
open StrategyLab.Runtime.Research
open StrategyLab.Cli.Output
open StrategyLab.Cli.StrategyCommands

type EvaluateArgs =
    | [<MainCommand; Mandatory>] File of path: string
    | Bins of count: int
    | Scope of scope: string
    | Signal of name: string
    | Horizon of bars: int
    | Label of name: string
    | Param of name_eq_value: string
    | From of date: string
    | To of date: string
    | Out of folder: string
    | Json

    interface IArgParserTemplate with
        member a.Usage =
            match a with
            | File _ -> "the .strat file whose signal to evaluate"
            | Bins _ -> "quantile bins, at least 2 (default: the quantile leg's bins, else 10)"
            | Scope _ ->
                "timestamp (bins across assets per bar) or date (across the bars of a UTC date; default: the portfolio's)"
            | Signal _ -> "the let or signal to evaluate (default: the one the portfolio trades on)"
            | Horizon _ -> "bars ahead of the forward return forward_return(close, BARS) (default 1)"
            | Label _ -> "measure against this label of the strategy instead of the forward return"
            | Param _ -> "set a parameter, e.g. --param k=7 (repeatable; checked against its range)"
            | From _ -> "first bar to evaluate, e.g. 2023-01-01 (earlier data still warms the indicators up)"
            | To _ -> RunOptionUsage.until
            | Out _ -> "a folder to write evaluation.json into"
            | Json -> "print the evaluation as one JSON document on standard output; the text goes to standard error"

let private inv = Globalization.CultureInfo.InvariantCulture

let private decimals (digits: int) (x: float) =
    if Double.IsNaN x then
        "—"
    else
        x.ToString("F" + string digits, inv)

let private percent (x: float) =
    if Double.IsNaN x then "—" else x.ToString("0.00%", inv)

let private options (args: ParseResults<EvaluateArgs>) =
    let scope =
        args.TryGetResult Scope
        |> Option.map (fun s ->
            match s with
            | "timestamp" -> QuantileScope.Timestamp
            | "date" -> QuantileScope.Date
            | _ -> usageError $"--scope: expected timestamp or date, found '{s}'")

    let bins =
        args.TryGetResult Bins
        |> Option.map (fun b ->
            if b < 2 then
                usageError $"--bins: expected at least 2, found {b}"
            else
                b)

    let horizon = args.GetResult(Horizon, defaultValue = 1)

    if horizon < 1 then
        usageError $"--horizon: expected at least 1 bar, found {horizon}"

    if args.Contains Horizon && args.Contains Label then
        usageError "--horizon and --label: a label looks as far ahead as it is written to; give one or the other"

    SignalEvaluationOptions(
        Signal = Option.toObj (args.TryGetResult Signal),
        Bins = Option.toNullable bins,
        Scope = Option.toNullable scope,
        Horizon = horizon,
        Label = Option.toObj (args.TryGetResult Label)
    )

let private print (e: SignalEvaluation) =
    let a = e.Analysis
    let period = if a.Scope = QuantileScope.Date then "date" else "timestamp"
    printLine $"{e.Strategy} on {e.Dataset}: signal {e.Signal} against {e.Target}, {a.Bins} bins by {period}"
    printLine $"{e.From} … {e.To}: {a.Periods} {period}s, {a.Pairs} pairs"

    table
        [ "bin"; "mean fwd return (bps)"; "count"; "hit rate" ]
        (a.Quantiles
         |> Seq.map (fun q ->
             [
                 string q.Bin
                 decimals 2 (q.MeanForwardReturn * 10000.0)
                 string q.Count
                 percent q.HitRate
             ]))

    let s = a.Spread

    printLine (
        $"top − bottom spread: {decimals 2 (s.Mean * 10000.0)} bps per {period} "
        + $"(std {decimals 2 (s.Std * 10000.0)} bps, t {decimals 2 s.TStatistic}, {s.Periods} {period}s)"
    )

    let ic = a.InformationCoefficient.PerPeriod

    printLine (
        $"IC: mean {decimals 4 ic.Mean}, std {decimals 4 ic.Std}, t {decimals 2 ic.TStatistic} over {ic.Periods} {period}s; "
        + $"pooled IC {decimals 4 a.InformationCoefficient.Pooled}"
    )

    let d = a.DirectionalAccuracy

    let how =
        if d.Kind = AccuracyKind.AboveMedian then
            "above or below the timestamp's median"
        else
            "sign of the signal against the sign of the return"

    printLine $"directional accuracy: {percent d.Accuracy} of {d.Pairs} pairs ({how})"

let private runEvaluation (dataDir: string) (path: string) (args: ParseResults<EvaluateArgs>) =
    let plan = compileFile path
    let options = options args

    let settings =
        runSettings
            (args.TryGetResult From |> Option.map (parseDate "--from"))
            (args.TryGetResult To |> Option.map (parseDate "--to"))
            None
            None
            None

    refusedAs path (fun () -> SignalResearch.Check(plan, options))
    let store, data, prepared = prepareRun dataDir path plan id
    use _ = data
    use run = prepared

    let parameters =
        refusedAs path (fun () -> run.Parse(parseParams (args.GetResults Param)))

    // a signal that reads models is evaluated on their out-of-sample predictions, trained (or read back) first
    let models =
        ModelTraining.trainModels path run parameters (ModelTraining.modelStore store None) false

    let evaluation =
        refusedAs path (fun () ->
            withStatus $"evaluating {plan.Name}" (fun () -> run.EvaluateSignal(parameters, settings, options, models)))

    print evaluation

    match args.TryGetResult Out with
    | Some folder ->
        Directory.CreateDirectory folder |> ignore
        let file = Path.Combine(folder, "evaluation.json")
        File.WriteAllBytes(file, SignalResearch.ToJson evaluation)
        printLine $"evaluation written to {file}"
    | None -> ()

    fun (w: Text.Json.Utf8JsonWriter) ->
        w.WritePropertyName "evaluation"
        w.WriteRawValue(SignalResearch.ToJson evaluation)

let evaluate (dataDir: string) (args: ParseResults<EvaluateArgs>) =
    let path = args.GetResult EvaluateArgs.File
    withJson "evaluate" path (args.Contains EvaluateArgs.Json) (fun () -> runEvaluation dataDir path args)
