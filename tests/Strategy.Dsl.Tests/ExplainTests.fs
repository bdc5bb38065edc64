module StrategyLab.Strategy.Dsl.Tests.ExplainTests

open Xunit
open StrategyLab.Strategy.Dsl
open StrategyLab.Strategy.Dsl.Tests.Support

[<Fact>]
let ``explains which series feed which model, the parameters and their ranges`` () =
    let plan =
        compileOk (
            header
            + "param k = 5 in 3..10\n"
            + "label up = forward_return(close, 1) > 0\n"
            + "model m = gbdt(inputs: [rsi(close, 14)], rounds: 50)\n    learn up\n    train walk_forward(train: 100, test: 10)\n"
            + "signal s = m\n"
            + "portfolio long top k by s\n"
        )

    let text = Compiler.explain plan
    let lines = text.Split('\n') |> List.ofArray

    let expected =
        [
            "strategy t - test"
            "  data daily_top100, bar 1d, universe all assets"
            "  columns close"
            "  parameters"
            "    k = 5  integer 3..10"
            "  model m: gbdt #5"
            "    training WalkForward: train 100, test 10, purge 0, embargo 0, retrain every 10, validation 0 bars"
            "    learns"
            "      #3 up = gt"
            "        #1 forward_return(h: 1)"
            "          #0 column close"
            "        #2 constant 0"
            "    inputs"
            "      #4 rsi(period: 14)"
            "        #0 column close"
            "  signals"
            "    #5 s = model m"
            "  portfolio"
            "    long top k by"
            "      #5 s = model m (above)"
        ]

    for line in expected do
        Assert.Contains(line, lines)

    Assert.Contains("  hash " + plan.ContentHash(), lines)

[<Fact>]
let ``explains every strategy file`` () =
    for file in System.IO.Directory.GetFiles(System.IO.Path.Combine(repoRoot, "strategies"), "*.strat") do
        match Compiler.compileWith readFile file (System.IO.File.ReadAllText file) with
        | Ok plan ->
            let text = Compiler.explain plan
            Assert.StartsWith("strategy " + plan.Name, text)

            for m in plan.Models do
                Assert.Contains($"model %s{m.Name}: %s{m.Kind}", text)
        | Error ds -> failwith (System.String.Join("\n", ds |> List.map brief))
