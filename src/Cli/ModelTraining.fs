/// Training a strategy's models from the command line: where fold models are kept, and a progress
/// display with the fold, epoch, loss and the time left
module StrategyLab.Cli.ModelTraining

open System
open System.Collections.Generic
open System.Diagnostics
open Spectre.Console
open StrategyLab.Runtime.Data
open StrategyLab.Runtime.Models.Training
open StrategyLab.Runtime.Runs
open StrategyLab.Cli.Output

/// The model store: the given folder, else `models` beside the data cache
let modelStore (data: DataStore) (folder: string option) =
    match folder with
    | Some f -> ModelStore(f)
    | None -> ModelStore.Beside data.CacheFolder

let private describe (p: TrainingProgress) =
    let epoch =
        match p.Epoch with
        | null -> ""
        | e ->
            let members =
                if e.Members > 1 then
                    $" member {e.Member + 1}/{e.Members}"
                else
                    ""

            let loss = if Double.IsNaN e.Loss then "" else $" loss {e.Loss:G4}"

            if e.Epochs > 0 then
                $",{members} epoch {e.Epoch}/{e.Epochs}{loss}"
            else
                $",{members}{loss}"

    $"{p.Model} fold {p.Fold + 1}/{p.Folds}{epoch}"

let private eta (watch: Stopwatch) (fraction: float) =
    if fraction <= 0.0 then
        "?"
    else
        let left = watch.Elapsed.TotalSeconds * (1.0 - fraction) / fraction
        TimeSpan.FromSeconds(Math.Round left).ToString()

/// Trains (or reads back) the run's models under a progress bar with epoch, loss and ETA (on a
/// terminal), or one line per fold on standard error (otherwise); a plan error exits with code 2
let trainModels (path: string) (run: PreparedRun) (parameters: ParameterSet) (store: ModelStore) (retrain: bool) =
    // a store that cannot be used as it must (a folder where a fold file belongs) is a runtime failure, named
    let train (progress: IProgress<TrainingProgress>) =
        try
            refusedAs path (fun () -> run.Models(parameters, store, retrain, progress))
        with :? ModelStoreException as e ->
            failure e.Message

    if run.Plan.Models.IsEmpty then
        ModelTrainingResult(Dictionary<string, float array>(), [||], [||])
    elif AnsiConsole.Profile.Capabilities.Interactive then
        withProgress $"training {run.Plan.Name}" (fun report ->
            train
                { new IProgress<TrainingProgress> with
                    member _.Report p = report (describe p) p.Fraction
                })
    else
        // every finished fold, and an epoch at most every 10 seconds
        let watch = Stopwatch.StartNew()
        let gate = obj ()
        let mutable last = TimeSpan.Zero

        let progress =
            { new IProgress<TrainingProgress> with
                member _.Report p =
                    lock gate (fun () ->
                        if isNull p.Epoch || watch.Elapsed - last >= TimeSpan.FromSeconds 10.0 then
                            last <- watch.Elapsed

                            Console.Error.WriteLine(
                                $"training {describe p}: {p.Fraction * 100.0:F0}%% done, ETA {eta watch p.Fraction}"
                            ))
            }

        train progress
