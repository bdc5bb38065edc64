module StrategyLab.Cli.Program

open System
open Argu
open StrategyLab.Cli.Output
open StrategyLab.Cli.DataCommands
open StrategyLab.Cli.DownloadCommand
open StrategyLab.Cli.StrategyCommands
open StrategyLab.Cli.EvaluateCommand
open StrategyLab.Cli.ModelCommands
open StrategyLab.Cli.SearchCommands
open StrategyLab.Cli.TradingCommands

type DataArgs =
    | [<CliPrefix(CliPrefix.None)>] List of ParseResults<ListArgs>
    | [<CliPrefix(CliPrefix.None)>] Show of ParseResults<ShowArgs>
    | [<CliPrefix(CliPrefix.None)>] Import of ParseResults<ImportArgs>
    | [<CliPrefix(CliPrefix.None)>] Download of ParseResults<DownloadArgs>

    interface IArgParserTemplate with
        member a.Usage =
            match a with
            | List _ -> "list the datasets of the data folder"
            | Show _ -> "show a dataset: per-asset coverage, or one symbol's bars"
            | Import _ -> "import a CSV file as a dataset (validated; repairs only when asked for)"
            | Download _ -> "download exchange history (resumable) and register it as a dataset"

type RootArgs =
    | [<Inherit; AltCommandLine("-d")>] Data_Dir of path: string
    | Version
    | [<CliPrefix(CliPrefix.None)>] Data of ParseResults<DataArgs>
    | [<CliPrefix(CliPrefix.None)>] Check of ParseResults<CheckArgs>
    | [<CliPrefix(CliPrefix.None)>] Fmt of ParseResults<FmtArgs>
    | [<CliPrefix(CliPrefix.None)>] Explain of ParseResults<ExplainArgs>
    | [<CliPrefix(CliPrefix.None)>] Backtest of ParseResults<BacktestArgs>
    | [<CliPrefix(CliPrefix.None)>] Evaluate of ParseResults<EvaluateArgs>
    | [<CliPrefix(CliPrefix.None)>] Train of ParseResults<TrainArgs>
    | [<CliPrefix(CliPrefix.None)>] Advise of ParseResults<AdviseArgs>
    | [<CliPrefix(CliPrefix.None)>] Models of ParseResults<ModelsArgs>
    | [<CliPrefix(CliPrefix.None)>] Sweep of ParseResults<SweepArgs>
    | [<CliPrefix(CliPrefix.None)>] Optimize of ParseResults<OptimizeArgs>
    | [<CliPrefix(CliPrefix.None)>] Study of ParseResults<StudyArgs>
    | [<CliPrefix(CliPrefix.None)>] Paper of ParseResults<PaperArgs>
    | [<CliPrefix(CliPrefix.None)>] Live of ParseResults<LiveArgs>
    | [<CliPrefix(CliPrefix.None)>] Promote of ParseResults<PromoteArgs>

    interface IArgParserTemplate with
        member a.Usage =
            match a with
            | Data_Dir _ -> "the data folder holding datasets.json (default: $STRATEGYLAB_DATA, else ./data)"
            | Version -> "print the version"
            | Data _ -> "the candle store: list, show, import, download"
            | Check _ -> "check .strat files: every error with its line, column and a hint"
            | Fmt _ -> "format a .strat file canonically"
            | Explain _ -> "print a strategy's plan as a tree"
            | Backtest _ -> "backtest a strategy on its dataset and write a run folder with an HTML report"
            | Evaluate _ -> "evaluate a strategy's signal: forward return by quantile, spread, IC, directional accuracy"
            | Train _ -> "train a strategy's models walk-forward (stored models are reused)"
            | Advise _ -> "today's recommended longs and shorts, and the changes against the current book"
            | Models _ -> "the model store: prune the models of plans no strategy uses any more"
            | Sweep _ -> "backtest every combination of a grid of parameters, in parallel, ranked by an objective"
            | Optimize _ ->
                "search the strategy's declared parameter ranges (TPE, random, grid, CMA-ES) in a resumable study"
            | Study _ -> "the studies of a storage: list, show, export, report, delete"
            | Paper _ -> "trade a strategy on paper on live or recorded market data, journaled as live trading is"
            | Live _ -> "trade a strategy on Binance USDⓈ-M or Bybit linear futures (a dry run unless --live)"
            | Promote _ ->
                "record a strategy's promotion to paper (from a backtest) or live (from paper), refusing a changed strategy"

let private dataDir (args: ParseResults<RootArgs>) =
    match args.TryGetResult Data_Dir with
    | Some d -> d
    | None ->
        match Environment.GetEnvironmentVariable "STRATEGYLAB_DATA" with
        | null
        | "" -> "data"
        | d -> d

let private runData (root: ParseResults<RootArgs>) (args: ParseResults<DataArgs>) =
    let store () = openStore (dataDir root)

    match args.GetSubCommand() with
    | List a -> listDatasets (store ()) a
    | Show a -> show (store ()) a
    | Import a -> import (store ()) a
    | Download a -> download (StrategyLab.Runtime.Data.DataStore(dataDir root)) a

let private run (argv: string array) =
    let parser =
        ArgumentParser.Create<RootArgs>(
            programName = "strategylab",
            helpTextMessage = "Exit codes: 0 ok, 1 runtime failure, 2 usage or strategy error."
        )

    let args = parser.ParseCommandLine(argv, raiseOnUsage = true)

    if args.Contains Version then
        printLine (Reflection.Assembly.GetExecutingAssembly().GetName().Version |> string)
    else
        match args.TryGetSubCommand() with
        | Some(Data d) -> runData args d
        | Some(Check c) -> check (dataDir args) c
        | Some(Fmt f) -> fmt f
        | Some(Explain e) -> explain e
        | Some(Backtest b) -> backtest (dataDir args) b
        | Some(Evaluate e) -> evaluate (dataDir args) e
        | Some(Train t) -> train (dataDir args) t
        | Some(Advise a) -> advise (dataDir args) a
        | Some(Sweep s) -> sweep (dataDir args) s
        | Some(Optimize o) -> optimize (dataDir args) o
        | Some(Study s) -> study (dataDir args) s
        | Some(Paper p) -> paper (dataDir args) p
        | Some(Live l) -> live (dataDir args) l
        | Some(Promote p) -> promote (dataDir args) p
        | Some(Models m) ->
            match m.GetSubCommand() with
            | Prune p -> prune (dataDir args) p
        | _ -> usageError "expected a command; try 'strategylab --help'"

[<EntryPoint>]
let main argv =
    // a redirected terminal reports 80 columns; tables read better wider
    if not (Spectre.Console.AnsiConsole.Profile.Capabilities.Interactive) then
        Spectre.Console.AnsiConsole.Profile.Width <- 160

    try
        run argv
        int ExitCode.Ok
    with
    | :? ArguParseException as e when e.ErrorCode = ErrorCode.HelpText ->
        Console.Out.WriteLine e.Message
        int ExitCode.Ok
    | :? ArguParseException as e ->
        let first = (e.Message.Split('\n', StringSplitOptions.RemoveEmptyEntries)[0]).Trim()

        let message =
            if first.StartsWith "ERROR: " then
                first.Substring 7
            else
                first

        printError (message + " (see --help)")
        int ExitCode.Usage
    | UserError(message, code) ->
        printError message
        int code
    | e when isNull (Environment.GetEnvironmentVariable "STRATEGYLAB_DEBUG") ->
        // a bug, not a user error: one line, and the way to see the whole trace
        printError $"internal error: {e.GetBaseException().Message} (set STRATEGYLAB_DEBUG=1 for the stack trace)"
        int ExitCode.Failure
