/// Runs the real strategylab executable as a user would, and captures what it prints
module StrategyLab.Cli.Tests.Cli

open System
open System.Diagnostics
open System.IO

/// The checkout this assembly was built from
let repositoryRoot = StrategyLab.Tests.Checkout.root

type Outcome =
    {
        ExitCode: int
        Out: string
        Error: string
    }

/// Runs `strategylab args` in the given folder with environment variables set (an empty value unsets one)
let runWith (folder: string) (environment: (string * string) list) (args: string list) =
    let dll = Path.Combine(AppContext.BaseDirectory, "strategylab.dll")
    let info = ProcessStartInfo("dotnet", WorkingDirectory = folder)
    info.ArgumentList.Add dll

    for a in args do
        info.ArgumentList.Add a

    info.RedirectStandardOutput <- true
    info.RedirectStandardError <- true
    info.Environment.Remove "STRATEGYLAB_DATA" |> ignore

    for name, value in environment do
        info.Environment[name] <- value

    use p =
        match Process.Start info with
        | null -> failwith "strategylab did not start"
        | p -> p

    let out = p.StandardOutput.ReadToEndAsync()
    let err = p.StandardError.ReadToEndAsync()

    if not (p.WaitForExit(TimeSpan.FromMinutes 5.0)) then
        p.Kill true
        failwith "strategylab did not finish in 5 minutes"

    {
        ExitCode = p.ExitCode
        Out = out.Result
        Error = err.Result
    }

/// Runs `strategylab args` in the given folder (the bundled data is ./data there)
let runIn (folder: string) (args: string list) = runWith folder [] args

/// Runs `strategylab args` from the repository root
let run args = runIn repositoryRoot args

/// Starts `strategylab args` from the repository root, its output redirected, for a test that sends it Ctrl+C
/// (SIGINT). A test run started in the background inherits SIGINT ignored, and .NET leaves an inherited ignore
/// in place; `env --default-signal=INT` restores the default so that the process sees the signal as a user sends it.
let startInterruptible (args: string list) =
    let info = ProcessStartInfo("env", WorkingDirectory = repositoryRoot)

    for a in
        [
            "--default-signal=INT"
            "dotnet"
            Path.Combine(AppContext.BaseDirectory, "strategylab.dll")
        ]
        @ args do
        info.ArgumentList.Add a

    info.RedirectStandardOutput <- true
    info.RedirectStandardError <- true

    match Process.Start info with
    | null -> failwith "strategylab did not start"
    | p -> p

/// Sends SIGINT, as Ctrl+C in a terminal does
let interrupt (p: Process) =
    Process.Start("kill", $"-INT {p.Id}").WaitForExit()

/// A scratch folder deleted at dispose
type TempFolder() =
    let path =
        Path.Combine(Path.GetTempPath(), "strategylab-cli-" + Guid.NewGuid().ToString "N")

    do Directory.CreateDirectory path |> ignore
    member _.Path = path

    member _.Write (name: string) (text: string) =
        let file = Path.Combine(path, name)
        File.WriteAllText(file, text)
        file

    interface IDisposable with
        member _.Dispose() =
            if Directory.Exists path then
                Directory.Delete(path, true)
