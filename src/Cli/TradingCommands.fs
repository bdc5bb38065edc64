/// Paper trading: the plan traded bar by bar on a recorded stream against a paper account, journaled as live trading is
module StrategyLab.Cli.TradingCommands

open System
open System.IO
open Argu
open StrategyLab.Runtime.Trading
open StrategyLab.Cli.Output
open StrategyLab.Cli.StrategyCommands

type PaperArgs =
    | [<MainCommand; Mandatory>] File of path: string
    | Recorded of dataset: string
    | Bars of count: int
    | Param of name_eq_value: string
    | Fee of bps: float
    | Capital of quote: float
    | Journal of path: string
    | Quiet

    interface IArgParserTemplate with
        member a.Usage =
            match a with
            | File _ -> "the .strat file to trade on paper"
            | Recorded _ ->
                "the recorded market stream: a dataset of the data folder (default: the strategy's own dataset)"
            | Bars _ -> "trade the last N bars of the recording; the bars before warm the plan up (default: every bar)"
            | Param _ -> "set a parameter, e.g. --param k=7 (repeatable; checked against its range)"
            | Fee _ -> "replace the strategy's maker and taker fees, in basis points"
            | Capital _ -> "the paper account's starting cash in the quote currency (default 10,000)"
            | Journal _ -> "the journal file (default journal/<strategy>.db)"
            | Quiet -> "print only the summary, not each order and fill"

let paper (dataDir: string) (args: ParseResults<PaperArgs>) =
    let path = args.GetResult PaperArgs.File
    let plan = compileFile path

    let settings =
        runSettings None None (args.TryGetResult PaperArgs.Fee) None (args.TryGetResult PaperArgs.Capital)

    match args.TryGetResult Bars with
    | Some n when n < 1 -> usageError $"--bars: expected a positive count, found {n}"
    | _ -> ()

    let store = DataCommands.openStore dataDir
    let dataset = args.GetResult(Recorded, plan.Dataset)
    use recorded = (DataCommands.load store dataset).Panel

    let journalPath =
        args.GetResult(PaperArgs.Journal, Path.Combine("journal", plan.Name + ".db"))

    use journal =
        try
            new SqliteJournal(journalPath)
        with :? JournalException as e ->
            failure e.Message

    let log =
        if args.Contains Quiet then
            None
        else
            Some(Action<string>(fun line -> printLine line))

    let session =
        try
            refusedAs path (fun () ->
                (PaperTrading.ReplayAsync(
                    plan,
                    recorded,
                    parseParams (args.GetResults PaperArgs.Param),
                    settings,
                    journal,
                    args.TryGetResult Bars |> Option.toNullable,
                    log |> Option.toObj
                ))
                    .GetAwaiter()
                    .GetResult())
        with
        | :? TradingException as e -> failure e.Message
        | :? JournalException as e -> failure e.Message

    printLine
        $"paper {plan.Name} on {dataset} (session {session.Deployment.Session}): {session.Bars} bars, {session.Orders} orders, {session.Fills} fills, equity {session.Equity:N2}; journal {journalPath}"
