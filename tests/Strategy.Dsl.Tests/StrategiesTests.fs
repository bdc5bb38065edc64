module StrategyLab.Strategy.Dsl.Tests.StrategiesTests

open System.IO
open Xunit
open StrategyLab.Runtime.Plan
open StrategyLab.Strategy.Dsl
open StrategyLab.Strategy.Dsl.Diagnostics
open StrategyLab.Strategy.Dsl.Tests.Support

let strategyFiles () =
    Directory.GetFiles(Path.Combine(repoRoot, "strategies"), "*.strat")
    |> Array.sort
    |> Array.map (fun f -> [| box (Path.GetFileName f) |])

let compileFile (name: string) =
    let path = Path.Combine(repoRoot, "strategies", name)
    let text = File.ReadAllText path

    match Compiler.compileWith readFile path text with
    | Ok plan -> plan
    | Error ds -> failwith (System.String.Join("\n", ds |> List.map (Compiler.renderWith sourceOf path text)))

[<Theory; MemberData(nameof strategyFiles)>]
let ``every strategy file compiles`` (name: string) =
    let plan = compileFile name
    Assert.Equal(Path.GetFileNameWithoutExtension name, plan.Name)

[<Theory; MemberData(nameof strategyFiles)>]
let ``every strategy file is already in canonical format`` (name: string) =
    let path = Path.Combine(repoRoot, "strategies", name)
    let text = File.ReadAllText path

    match Compiler.format path text with
    | Ok formatted -> Assert.Equal(text, formatted)
    | Error ds -> failwith (System.String.Join("\n", ds |> List.map (render text)))

[<Fact>]
let ``there are the seed strategies and at least two plain ones`` () =
    let names = strategyFiles () |> Array.map (fun a -> string a[0]) |> set

    for expected in
        [
            "jaquart_lstm_daily.strat"
            "jaquart_lstm_4h_dynamic.strat"
            "aggregated_score_lstm.strat"
            "lightgbm_quantile_1m.strat"
            "gbdt_classifier_bot.strat"
            "ensemble_lstm_gbdt.strat"
            "momentum_long_short.strat"
            "ma_crossover.strat"
        ] do
        Assert.Contains(expected, names)
