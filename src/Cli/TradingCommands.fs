/// Paper and live trading: the plan traded bar by bar against a paper account or a venue's account (Binance USDⓈ-M,
/// Bybit linear perpetuals, MEXC contract), journaled
module StrategyLab.Cli.TradingCommands

open System
open System.IO
open System.Threading
open System.Threading.Channels
open Argu
open StrategyLab.Exchanges
open StrategyLab.Runtime.Execution
open StrategyLab.Runtime.Trading
open StrategyLab.Operations
open StrategyLab.Cli.Output
open StrategyLab.Cli.StrategyCommands

type PaperArgs =
    | [<MainCommand; Mandatory>] File of path: string
    | Recorded of dataset: string
    | Exchange of venue: string
    | Bars of count: int
    | Loop
    | History of bars: int
    | Param of name_eq_value: string
    | Fee of bps: float
    | Capital of quote: float
    | Journal of path: string
    | Quiet
    | Metrics_Port of port: int
    | Metrics_Address of address: string
    | Env of path: string

    interface IArgParserTemplate with
        member a.Usage =
            match a with
            | File _ -> "the .strat file to trade on paper"
            | Recorded _ ->
                "replay a recorded market stream, a dataset of the data folder (default: the venue's live klines)"
            | Exchange _ -> "the venue whose live klines are traded on paper: binance (default), bybit or mexc"
            | Bars _ -> "with --recorded: trade the last N bars; the bars before warm the plan up (default: every bar)"
            | Loop ->
                "on live klines: trade each bar as it closes until q or Ctrl+C (default: the last closed bar only)"
            | History _ -> "on live klines: closed bars read to warm the plan up (default 300)"
            | Param _ -> "set a parameter, e.g. --param k=7 (repeatable; checked against its range)"
            | Fee _ -> "replace the strategy's maker and taker fees, in basis points"
            | Capital _ -> "the paper account's starting cash in the quote currency (default 10,000)"
            | Journal _ -> "the journal file (default journal/<strategy>.db)"
            | Quiet -> "print only the summary, not each order and fill"
            | Metrics_Port _ -> "serve /metrics (Prometheus), /health and /status on this port while trading"
            | Metrics_Address _ -> "the address the metrics port listens on (default 127.0.0.1; 0.0.0.0 in a container)"
            | Env _ -> "the .env file holding the alert settings (default .env; the environment comes first)"

type LiveArgs =
    | [<MainCommand; Mandatory>] File of path: string
    | [<CustomCommandLine("--live")>] Send
    | Exchange of venue: string
    | Testnet
    | Loop
    | Status
    | Close_All
    | Adopt
    | History of bars: int
    | Param of name_eq_value: string
    | Journal of path: string
    | Env of path: string
    | Metrics_Port of port: int
    | Metrics_Address of address: string

    interface IArgParserTemplate with
        member a.Usage =
            match a with
            | File _ -> "the .strat file to trade on the venue's futures"
            | Send ->
                "send orders, once this strategy text, data and parameters were promoted to live (without it: a dry run that reads the account and shows the orders, writing nothing)"
            | Exchange _ ->
                "the venue: binance (USDⓈ-M futures, default; BINANCE_API_KEY and _SECRET), bybit (linear perpetuals; BYBIT_API_KEY and _SECRET) or mexc (contract perpetuals; MEXC_API_KEY and _SECRET)"
            | Testnet ->
                "trade on the venue's testnet, with its _TESTNET_ keys (BINANCE_TESTNET_API_KEY, BYBIT_TESTNET_API_KEY and their _SECRET); MEXC runs none"
            | Loop ->
                "trade each bar as it closes: s status, c close all, q quit keeping positions, Enter time to the next bar"
            | Status -> "one-shot: reconcile and show the book, equity and findings, trading nothing"
            | Close_All -> "one-shot: cancel this strategy's resting orders and close its positions (with --live)"
            | Adopt -> "take over positions at the venue this strategy did not open (else they stop the runner)"
            | History _ -> "closed bars read to warm the plan up (default 300)"
            | Param _ -> "set a parameter, e.g. --param k=7 (repeatable; checked against its range)"
            | Journal _ -> "the journal file (default journal/<strategy>.db)"
            | Env _ ->
                "the .env file holding the API keys and alert settings (default .env; the environment comes first)"
            | Metrics_Port _ -> "serve /metrics (Prometheus), /health and /status on this port while trading"
            | Metrics_Address _ -> "the address the metrics port listens on (default 127.0.0.1; 0.0.0.0 in a container)"

let private venueOf (given: string option) =
    match given with
    | None -> Venues.Default
    | Some name ->
        match Venues.Find name with
        | null -> usageError $"--exchange: expected {Venues.Choices}, found '{name.Trim().ToLowerInvariant()}'"
        | venue -> venue

let private tradingClient (venue: Venue) (testnet: bool) (envFile: string) (observer: IVenueObserver) =
    if testnet && not venue.HasTestnet then
        usageError $"--testnet: {venue.Title} runs no testnet; drop --testnet"

    try
        venue.TradingClient(testnet, envFile, observer = observer)
    with :? ExchangeException as e when e.Kind = ExchangeErrorKind.InvalidRequest ->
        usageError e.Message

let private journalOf (given: string option) (strategy: string) =
    defaultArg given (Path.Combine("journal", strategy + ".db"))

let private openJournal (path: string) =
    try
        new SqliteJournal(path)
    with :? JournalException as e ->
        failure e.Message

/// Runs a trading action, turning what the runner, the journal and the venue refuse into one-line errors
let private trading (path: string) (work: unit -> 'T) : 'T =
    try
        refusedAs path work
    with
    | :? TradingException as e -> failure e.Message
    | :? JournalException as e -> failure e.Message
    | :? ExchangeError as e -> failure e.Message
    | :? ExchangeException as e when e.Kind = ExchangeErrorKind.InvalidRequest -> usageError e.Message
    | :? ExchangeException as e -> failure e.Message

let private await (task: Threading.Tasks.Task<'T>) = task.GetAwaiter().GetResult()

let private awaitUnit (task: Threading.Tasks.Task) = task.GetAwaiter().GetResult()

let private historyBars (given: int option) =
    match given with
    | Some n when n < 2 -> usageError $"--history: expected at least 2 bars, found {n}"
    | Some n -> n
    | None -> 300

/// Ctrl+C stops after the current step; a second Ctrl+C ends the process at once
let private stopOnCtrlC () =
    let stop = new CancellationTokenSource()

    Console.CancelKeyPress.Add(fun e ->
        if not stop.IsCancellationRequested then
            e.Cancel <- true
            printWarning "stopping after the current step (Ctrl+C again to force)"
            stop.Cancel())

    stop

/// The s, c, q and Enter keys as commands, when the input is a terminal
let private keyCommands (stop: CancellationToken) =
    let channel = Channel.CreateUnbounded<LiveCommand>()

    if not Console.IsInputRedirected then
        let reader =
            Thread(
                (fun () ->
                    while not stop.IsCancellationRequested do
                        if Console.KeyAvailable then
                            match Console.ReadKey(true).Key with
                            | ConsoleKey.S -> channel.Writer.TryWrite LiveCommand.Status |> ignore
                            | ConsoleKey.C -> channel.Writer.TryWrite LiveCommand.CloseAll |> ignore
                            | ConsoleKey.Q -> channel.Writer.TryWrite LiveCommand.Quit |> ignore
                            | ConsoleKey.Enter -> channel.Writer.TryWrite LiveCommand.NextBar |> ignore
                            | _ -> ()
                        else
                            Thread.Sleep 50),
                IsBackground = true
            )

        reader.Start()

    channel.Reader

let private loop (session: LiveSession) (feed: IMarketFeed) =
    use stop = stopOnCtrlC ()

    printLine
        "trading each bar as it closes: s status, c close all, q quit keeping positions, Enter time to the next bar"

    try
        awaitUnit (LiveTrading.LoopAsync(session, feed, keyCommands stop.Token, Action<string>(printLine), stop.Token))
    with
    | :? OperationCanceledException -> ()
    | :? AggregateException as e when (e.InnerException :? OperationCanceledException) -> ()

    printLine (LiveTrading.Status session.Runner)

let private say (quiet: bool) =
    if quiet then null else Action<string>(printLine)

let private assets (dataDir: string) (dataset: string) =
    let store = DataCommands.openStore dataDir
    use panel = (DataCommands.load store dataset).Panel
    panel.Symbols

let private barMilliseconds (plan: StrategyLab.Runtime.Plan.StrategyPlan) = int64 plan.Bar.Seconds * 1000L

let private paperWatch (plan: StrategyLab.Runtime.Plan.StrategyPlan) (args: ParseResults<PaperArgs>) =
    Unattended.start
        (args.TryGetResult PaperArgs.Metrics_Port)
        (args.TryGetResult PaperArgs.Metrics_Address)
        (barMilliseconds plan)
        (args.GetResult(PaperArgs.Env, ".env"))

// the venue client's rate-limit use, read at each scrape where the client counts it
let private watchLimits (watch: Unattended.Watch) (client: IExchange) =
    match watch.Metrics, client with
    | Some metrics, (:? IRateLimited as limited) -> metrics.Watch limited
    | _ -> ()

let private paperRecorded
    (dataDir: string)
    (path: string)
    (plan: StrategyLab.Runtime.Plan.StrategyPlan)
    (settings: StrategyLab.Runtime.Runs.RunSettings)
    (args: ParseResults<PaperArgs>)
    (dataset: string)
    =
    match args.TryGetResult PaperArgs.Bars with
    | Some n when n < 1 -> usageError $"--bars: expected a positive count, found {n}"
    | _ -> ()

    use watch = paperWatch plan args
    let store = DataCommands.openStore dataDir
    use recorded = (DataCommands.load store dataset).Panel
    let journalPath = journalOf (args.TryGetResult PaperArgs.Journal) plan.Name
    use journal = openJournal journalPath

    let session =
        trading path (fun () ->
            Unattended.reporting watch (fun () ->
                await (
                    PaperTrading.ReplayAsync(
                        plan,
                        recorded,
                        parseParams (args.GetResults PaperArgs.Param),
                        settings,
                        journal,
                        args.TryGetResult PaperArgs.Bars |> Option.toNullable,
                        say (args.Contains PaperArgs.Quiet),
                        observer = watch.Observer
                    )
                )))

    printLine
        $"paper {plan.Name} on {dataset} (session {session.Deployment.Session}): {session.Bars} bars, {session.Orders} orders, {session.Fills} fills, equity {session.Equity:N2}; journal {journalPath}"

let paper (dataDir: string) (args: ParseResults<PaperArgs>) =
    let path = args.GetResult PaperArgs.File
    let plan = compileFile path

    let settings =
        runSettings None None (args.TryGetResult PaperArgs.Fee) None (args.TryGetResult PaperArgs.Capital)

    match args.TryGetResult Recorded with
    | Some dataset -> paperRecorded dataDir path plan settings args dataset
    | None ->
        let venue = venueOf (args.TryGetResult PaperArgs.Exchange)
        let symbols = assets dataDir plan.Dataset
        use watch = paperWatch plan args
        use market = venue.PublicClient watch.Observer
        watchLimits watch market.Exchange
        let journalPath = journalOf (args.TryGetResult PaperArgs.Journal) plan.Name
        use journal = openJournal journalPath

        trading path (fun () ->
            Unattended.reporting watch (fun () ->
                let session =
                    await (
                        LiveTrading.StartAsync(
                            plan,
                            symbols,
                            parseParams (args.GetResults PaperArgs.Param),
                            settings,
                            market.Exchange,
                            journal,
                            false,
                            historyBars (args.TryGetResult PaperArgs.History),
                            say (args.Contains PaperArgs.Quiet),
                            true,
                            observer = watch.Observer
                        )
                    )

                printLine
                    $"paper {plan.Name} on {venue.Title} klines (session {session.Runner.Deployment.Session}); journal {journalPath}"

                match await (session.Runner.StepAsync session.History) with
                | null -> ()
                | step -> printLine (LiveTrading.Summary step)

                if args.Contains PaperArgs.Loop then
                    loop session market.Feed))

// a dry run reads the journal but writes a copy of it, thrown away after
let private dryJournal (path: string) =
    let folder = Directory.CreateTempSubdirectory "strategylab-dry-run-"
    let copy = Path.Combine(folder.FullName, "journal.db")

    for suffix in [ ""; "-wal" ] do
        if File.Exists(path + suffix) then
            File.Copy(path + suffix, copy + suffix)

    folder, copy

// the strategy text, data and parameters as they are now must be those promoted to live in the journal
let private requireLivePromotion dataDir path plan parameters journalPath =
    let _, data, prepared = prepareRun dataDir path plan id
    use _ = data
    use run = prepared

    let hash =
        Promotions.DeploymentHash(run, refusedAs path (fun () -> run.Parse parameters))

    use journal = openJournal journalPath

    match Promotions.LiveRefusal(journal, plan.Name, hash, run.DataHash) with
    | null -> ()
    | why -> usageError $"{path}: --live refused: {why}"

let live (dataDir: string) (args: ParseResults<LiveArgs>) =
    let path = args.GetResult LiveArgs.File
    let plan = compileFile path
    let send = args.Contains Send

    let oneShots =
        [ args.Contains Status; args.Contains Close_All; args.Contains LiveArgs.Loop ]

    if oneShots |> List.filter id |> List.length > 1 then
        usageError "--status, --close-all and --loop each choose what to do: give one of them"

    if args.Contains Status && send then
        usageError "--status trades nothing: drop --live"

    let settings = runSettings None None None None None
    let chosen = venueOf (args.TryGetResult LiveArgs.Exchange)
    let envFile = args.GetResult(Env, ".env")
    let journalPath = journalOf (args.TryGetResult LiveArgs.Journal) plan.Name

    // real orders only for what was promoted to live; closing positions stays allowed
    if send && not (args.Contains Close_All) then
        requireLivePromotion dataDir path plan (parseParams (args.GetResults LiveArgs.Param)) journalPath

    use watch =
        Unattended.start
            (args.TryGetResult LiveArgs.Metrics_Port)
            (args.TryGetResult LiveArgs.Metrics_Address)
            (barMilliseconds plan)
            envFile

    use venue =
        trading path (fun () -> tradingClient chosen (args.Contains Testnet) envFile watch.Observer)

    watchLimits watch venue.Exchange

    let symbols = assets dataDir plan.Dataset
    let dry = not send || args.Contains Status
    let copy = if dry then Some(dryJournal journalPath) else None
    let usedJournal = copy |> Option.map snd |> Option.defaultValue journalPath

    try
        use journal = openJournal usedJournal

        let exchange: IExchange =
            let traded: IExchange =
                if dry then
                    DryRunExchange(venue.Exchange)
                else
                    venue.Exchange

            ObservedExchange(traded, watch.Observer)

        if dry && not (args.Contains Status) then
            printLine
                "dry run: the orders are decided and shown, not sent, and nothing is journaled (add --live to trade)"

        // a live account is set to one-way positions before it trades; a dry run changes nothing at the venue
        let oneWay: IOneWayAccount | null =
            match venue.Exchange with
            | :? IOneWayAccount as account when not dry -> account
            | _ -> null

        trading path (fun () ->
            Unattended.reporting watch (fun () ->
                let session =
                    await (
                        LiveTrading.StartAsync(
                            plan,
                            symbols,
                            parseParams (args.GetResults LiveArgs.Param),
                            settings,
                            exchange,
                            journal,
                            args.Contains Adopt,
                            historyBars (args.TryGetResult LiveArgs.History),
                            Action<string>(printLine),
                            observer = watch.Observer,
                            account = oneWay
                        )
                    )

                if args.Contains Status then
                    printLine (LiveTrading.Status session.Runner)
                elif args.Contains Close_All then
                    let sent = await (session.Runner.CloseAllAsync())
                    let fate = if dry then "shown, not sent" else "sent"
                    printLine $"close all: {sent.Count} order(s) {fate}"
                else
                    match await (session.Runner.StepAsync session.History) with
                    | null ->
                        printLine "the last closed bar was traded before; nothing to do until the next one closes"
                    | step -> printLine (LiveTrading.Summary step)

                    if args.Contains LiveArgs.Loop then
                        loop session venue.Feed
                    elif not dry then
                        // a one-shot run works its quotes to the end of the policy's ladder before it leaves
                        awaitUnit (session.Runner.WorkQuotesAsync())))
    finally
        match copy with
        | Some(folder, _) ->
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools()
            folder.Delete true
        | None -> ()

type PromoteArgs =
    | [<MainCommand; Mandatory>] File of path: string
    | [<Mandatory>] To of stage: string
    | From of run_folder: string
    | Param of name_eq_value: string
    | Journal of path: string

    interface IArgParserTemplate with
        member a.Usage =
            match a with
            | File _ -> "the .strat file to promote"
            | To _ -> "paper (from a backtest's run folder, --from) or live (from paper trading in the journal)"
            | From _ -> "the run folder of the backtest the strategy is promoted from"
            | Param _ -> "set a parameter, e.g. --param k=7 (repeatable; as the backtest and paper runs had them)"
            | Journal _ -> "the journal file (default journal/<strategy>.db)"

/// Records where a deployment came from, refusing a strategy whose text, data or parameters differ from its runs
let promote (dataDir: string) (args: ParseResults<PromoteArgs>) =
    let path = args.GetResult PromoteArgs.File

    let stage =
        match args.GetResult To with
        | "paper" -> PromotionStage.Paper
        | "live" -> PromotionStage.Live
        | other -> usageError $"--to: expected paper or live, found '{other}'"

    let plan = compileFile path
    let _, data, prepared = prepareRun dataDir path plan id
    use _ = data
    use run = prepared

    let parameters =
        refusedAs path (fun () -> run.Parse(parseParams (args.GetResults PromoteArgs.Param)))

    let hash = Promotions.DeploymentHash(run, parameters)
    let journalPath = journalOf (args.TryGetResult PromoteArgs.Journal) plan.Name
    use journal = openJournal journalPath

    let source =
        match stage with
        | PromotionStage.Paper ->
            let folder =
                match args.TryGetResult From with
                | Some f -> f
                | None -> usageError "--to paper needs --from, the run folder of the backtest it is promoted from"

            let manifest = refusedAs path (fun () -> Promotions.ReadManifest folder)

            match List.ofSeq (Promotions.Differences(run, parameters, manifest)) with
            | [] -> folder
            | first :: rest ->
                let more = if rest.IsEmpty then "" else $" (and {rest.Length} more)"
                usageError $"{path}: not promoted to paper: {first}{more}"
        | _ ->
            let paperPromoted =
                journal.Promotions(plan.Name)
                |> Seq.exists (fun p -> p.Stage = PromotionStage.Paper && p.DeploymentHash = hash)

            if not paperPromoted then
                usageError
                    $"{path}: not promoted to live: this strategy text and its parameters were never promoted to paper (strategylab promote FILE --to paper --from RUN)"

            match List.ofSeq (journal.PaperSessions(plan.Name, hash)) with
            | [] ->
                usageError
                    $"{path}: not promoted to live: {journalPath} has no paper session of this strategy text and its parameters (strategylab paper FILE)"
            | sessions -> $"paper session {(List.last sessions).Session} in {journalPath}"

    let promotion =
        Promotion(plan.Name, hash, stage, run.DataHash, Promotions.Text parameters, source, DateTimeOffset.UtcNow)

    journal.RecordPromotion promotion
    printLine (Promotions.Describe promotion)
