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

// The content hash keys the model store and is written into every run manifest, so a change to the plan's
// format must leave the hash of every strategy that does not use it as it was (values computed before
// conditional parameters were added)
let private pinnedHashes: (string * string * string) list =
    [
        "strategies", "aggregated_score_lstm.strat", "16b7a4d77ecc806640fd233a2baf870a6da0a6ed50831e69f64c8243eca1119c"
        "strategies", "ensemble_lstm_gbdt.strat", "cf74a3ec73512d3bd983e4a7af307cfd2915506229f884752b76b3d795a6932b"
        "strategies", "gbdt_classifier_bot.strat", "a6ac6c1900670bb2819906e357181b8685b08c88754b66f5cbc8168ddfb4db49"
        "strategies",
        "jaquart_lstm_4h_dynamic.strat",
        "e1618781ca484691bbf562dcb69563f46d6fa201442f10b3b07c4fc4f6d58123"
        "strategies", "jaquart_lstm_daily.strat", "8dee6d11dc3f5a5c896bcb3988c52b503cd27569f49ac3d2ee592b9c53d976b8"
        "strategies", "lightgbm_quantile_1m.strat", "4f1b9f03e8e64e3229fa640d28a7424bf6d4b9e6da6ecdc5c39361d2d36ba936"
        "strategies", "ma_crossover.strat", "189eeb076f1b06b1eab79aace9eb763088223c5642c5ae2193b1a0c29cefe07c"
        "strategies", "momentum_long_short.strat", "7119d3d0ec4a157ddd86c6f6e807278e836af4ba9d286ffea095f248feb7e729"
        "bench/strategies", "sma_crossover.strat", "1d4073ec922589050d13fb4fa586017e86d1fafdff21e93e46811344626724cf"
        "bench/strategies",
        "xs_momentum_daily.strat",
        "de758e74612733acbefe361d05cec26833f98d8726b49d83af12651e9e1260a6"
        "bench/strategies",
        "xs_momentum_minute.strat",
        "ae2dc8efab64f0bcde1056cb170751c2521e57e66b6ef41cf647351393b5cded"
    ]

[<Fact>]
let ``every bundled strategy keeps its plan content hash`` () =
    for folder, name, hash in pinnedHashes do
        let path = Path.Combine(repoRoot, folder, name)
        let text = File.ReadAllText path

        match Compiler.compileWith readFile path text with
        | Ok plan -> Assert.True((hash = plan.ContentHash()), $"%s{folder}/%s{name}: %s{plan.ContentHash()}")
        | Error ds -> failwith (System.String.Join("\n", ds |> List.map brief))

[<Fact>]
let ``the pinned hashes cover every bundled strategy`` () =
    let pinned =
        pinnedHashes |> List.map (fun (folder, name, _) -> folder + "/" + name) |> set

    for file in Directory.GetFiles(Path.Combine(repoRoot, "strategies"), "*.strat") do
        Assert.Contains("strategies/" + Path.GetFileName file, pinned)
