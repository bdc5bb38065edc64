/// Exit codes, error rendering and the terminal helpers every command shares
module StrategyLab.Cli.Output

open System
open Spectre.Console

/// 0 ok, 1 runtime failure, 2 usage or strategy error
[<RequireQualifiedAccess>]
type ExitCode =
    | Ok = 0
    | Failure = 1
    | Usage = 2

/// A failure the user can act on: printed as one line, never with a stack trace
exception UserError of message: string * code: ExitCode

/// Raises a usage error (exit code 2)
let usageError message =
    raise (UserError(message, ExitCode.Usage))

/// Runs work whose plan the runtime may refuse: a refusal is the user's to fix, so it becomes one
/// usage-error line (exit code 2) naming the strategy file
let refusedAs (path: string) (work: unit -> 'T) : 'T =
    try
        work ()
    with :? StrategyLab.Runtime.Evaluation.PlanException as e ->
        usageError (
            if e.Message.StartsWith path then
                e.Message
            else
                $"{path}: {e.Message}"
        )

/// Raises a runtime failure (exit code 1)
let failure message =
    raise (UserError(message, ExitCode.Failure))

/// Writes an error line to standard error
let printError (message: string) =
    Console.Error.WriteLine("error: " + message.TrimEnd())

/// Sends every human-readable line and table to standard error from now on, so that standard output
/// carries one JSON document alone (--json)
let humanTextToStandardError () =
    AnsiConsole.Console <-
        AnsiConsole.Create(
            AnsiConsoleSettings(Out = AnsiConsoleOutput(Console.Error), Interactive = InteractionSupport.No)
        )

    AnsiConsole.Profile.Width <- 160

/// Writes a warning the user must not miss: on standard error, and in yellow on a terminal
let printWarning (message: string) =
    if AnsiConsole.Profile.Capabilities.Interactive then
        AnsiConsole.MarkupLine("[yellow]warning: " + Markup.Escape message + "[/]")
    else
        Console.Error.WriteLine("warning: " + message)

/// Writes plain text that is never read as Spectre markup. A terminal wraps it at its width, between
/// words; redirected output keeps each line whole, as logs and scripts read it.
let printLine (text: string) =
    if AnsiConsole.Profile.Capabilities.Interactive then
        AnsiConsole.WriteLine text
    else
        AnsiConsole.Profile.Out.Writer.WriteLine text

/// Runs work under a spinner when the terminal is interactive, plainly otherwise
let withStatus (label: string) (work: unit -> 'T) : 'T =
    if AnsiConsole.Profile.Capabilities.Interactive then
        AnsiConsole.Status().Start(Markup.Escape label, (fun _ -> work ()))
    else
        work ()

/// Runs work that reports (label, fraction done) under a progress bar with elapsed time and ETA when the
/// terminal is interactive; reports may come from several threads
let withProgress (label: string) (work: (string -> float -> unit) -> 'T) : 'T =
    if AnsiConsole.Profile.Capabilities.Interactive then
        AnsiConsole
            .Progress()
            .Columns(
                TaskDescriptionColumn(),
                ProgressBarColumn(),
                PercentageColumn(),
                ElapsedTimeColumn(),
                RemainingTimeColumn()
            )
            .Start(fun ctx ->
                let task = ctx.AddTask(Markup.Escape label, maxValue = 1.0)
                let gate = obj ()

                let result =
                    work (fun item fraction ->
                        lock gate (fun () ->
                            task.Description <- Markup.Escape item
                            task.Value <- fraction))

                task.Value <- 1.0
                result)
    else
        work (fun _ _ -> ())

/// A table with the given column headers and rows of plain text
let table (headers: string list) (rows: string list seq) =
    let t = Table().Border(TableBorder.Simple)

    for h in headers do
        t.AddColumn(Markup.Escape h) |> ignore

    for r in rows do
        t.AddRow(r |> List.map Markup.Escape |> List.toArray) |> ignore

    AnsiConsole.Write t

/// Formats a number for a table: thousands separators, no exponent for ordinary prices
let formatNumber (x: float) =
    if Double.IsNaN x then
        "—"
    elif abs x >= 1e6 then
        x.ToString("N0", Globalization.CultureInfo.InvariantCulture)
    elif abs x >= 1.0 then
        x.ToString("0.####", Globalization.CultureInfo.InvariantCulture)
    else
        x.ToString("0.########", Globalization.CultureInfo.InvariantCulture)
