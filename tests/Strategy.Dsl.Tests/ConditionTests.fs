/// Conditional parameters: 'when' on a param, from the source to the plan, the search space, a study and a run
module StrategyLab.Strategy.Dsl.Tests.ConditionTests

open System.Collections.Immutable
open System.IO
open Xunit
open StrategyLab.Runtime.Backtest
open StrategyLab.Runtime.Data
open StrategyLab.Runtime.Evaluation
open StrategyLab.Runtime.Plan
open StrategyLab.Runtime.Runs
open StrategyLab.Runtime.Search
open StrategyLab.Runtime.Search.Storage
open StrategyLab.Strategy.Dsl
open StrategyLab.Strategy.Dsl.Tests.Support

// a text choice, a flag and durations and percentages as choices, each with parameters that depend on them
let private conditional =
    header
    + "param kind = \"sma\" in [\"sma\", \"ema\", \"rsi\"]\n"
    + "param span = 20 in 5..50 when kind in [\"sma\", \"ema\"]\n"
    + "param rsi_period = 14 in 5..30 when kind = \"rsi\"\n"
    + "param use_volume = true\n"
    + "param volume_window = 30 in 10..90 when use_volume = true\n"
    + "param smooth = false when use_volume = false\n"
    + "param window = 4h in [4h, 1d]\n"
    + "param band = 1% in [1%, 2%] when window = 1d\n"
    + "param lr = 0.01 in 0.001..0.1 log when band = 2%\n"
    + "let s = close * span * rsi_period * volume_window * smooth * window * band * lr\n"
    + "portfolio long top 5 by s\n"

let private values (pairs: (string * ScalarValue) list) = readOnlyDict pairs

let private parameter (plan: StrategyPlan) (name: string) =
    plan.Parameters |> Seq.find (fun p -> p.Name = name)

let private whenOf (plan: StrategyPlan) (name: string) =
    match (parameter plan name).When with
    | null -> None
    | w -> Some(w.Parameter, w.Values |> Seq.map string |> List.ofSeq)

[<Fact>]
let ``lowering puts each condition on its parameter, with values as the choices hold them`` () =
    let plan = compileOk conditional

    Assert.Equal(None, whenOf plan "kind")
    Assert.Equal(Some("kind", [ "\"sma\""; "\"ema\"" ]), whenOf plan "span")
    Assert.Equal(Some("kind", [ "\"rsi\"" ]), whenOf plan "rsi_period")
    Assert.Equal(None, whenOf plan "use_volume")
    // a flag's true is 1 and false 0, as its choices are
    Assert.Equal(Some("use_volume", [ "1" ]), whenOf plan "volume_window")
    Assert.Equal(Some("use_volume", [ "0" ]), whenOf plan "smooth")
    // a day is 86400 seconds and 2% is 0.02, as the choices of window and band are stored
    Assert.Equal(Some("window", [ "86400" ]), whenOf plan "band")
    Assert.Equal(Some("band", [ "0.02" ]), whenOf plan "lr")
    // the condition changes nothing else of the parameter
    let span = parameter plan "span"
    Assert.Equal(ParameterKind.Integer, span.Kind)
    Assert.Equal((20.0, 5.0, 50.0), (span.Default.Number, span.Min.Value, span.Max.Value))

[<Fact>]
let ``a value listed twice is one value of the condition`` () =
    let plan =
        compileOk (
            withPortfolio
                "param kind = \"a\" in [\"a\", \"b\"]\nparam n = 1 in 1..3 when kind in [\"b\", \"b\"]\nlet s = close * n"
        )

    Assert.Equal(Some("kind", [ "\"b\"" ]), whenOf plan "n")

[<Fact>]
let ``the canonical plan holds a condition only where one is written, and the condition is part of the hash`` () =
    let without =
        withPortfolio "param kind = \"a\" in [\"a\", \"b\"]\nparam n = 2 in 1..3\nlet s = close * n"

    let withCondition = without.Replace("1..3", "1..3 when kind = \"b\"")
    let a = compileOk without
    let b = compileOk withCondition

    Assert.DoesNotContain("\"When\"", a.ToCanonicalJson())

    Assert.Contains(
        "\"Choices\":[],\"When\":{\"Parameter\":\"kind\",\"Values\":[{\"Number\":\"NaN\",\"Text\":\"b\"}]}}]",
        b.ToCanonicalJson()
    )

    Assert.Equal(1, Seq.length (System.Text.RegularExpressions.Regex.Matches(b.ToCanonicalJson(), "\"When\"")))
    Assert.NotEqual<string>(a.ContentHash(), b.ContentHash())

[<Fact>]
let ``the checker explains what a condition needs`` () =
    let hints (body: string) =
        match Compiler.compile "test.strat" (withPortfolio (body + "\nlet s = close")) with
        | Ok _ -> []
        | Error ds -> ds |> List.map (fun d -> brief d, d.Hint)

    let kind = "param kind = \"sma\" in [\"sma\", \"ema\"]\n"

    Assert.Equal<(string * string option) list>(
        [
            "SL0209 (5,27) unknown parameter 'knd' in the condition", Some "did you mean 'kind'?"
        ],
        hints (kind + "param n = 5 in 3..10 when knd = \"ema\"")
    )

    Assert.Equal<(string * string option) list>(
        [
            "SL0209 (4,27) unknown parameter 'trend' in the condition",
            Some "a condition names an earlier parameter with choices, e.g. 'when kind = \"ema\"'"
        ],
        hints "param n = 5 in 3..10 when trend = \"ema\""
    )

    Assert.Equal<(string * string option) list>(
        [
            "SL0210 (4,27) 'n' depends on 'kind', which is declared after it (line 5)", Some "declare 'kind' before 'n'"
        ],
        hints ("param n = 5 in 3..10 when kind = \"ema\"\n" + kind)
    )

    Assert.Equal<(string * string option) list>(
        [
            "SL0211 (4,27) 'n' cannot depend on itself",
            Some "a condition names another, earlier parameter with choices"
        ],
        hints "param n = 5 in 3..10 when n = 5"
    )

    Assert.Equal<(string * string option) list>(
        [
            "SL0319 (5,27) 'k' has no choices for a condition to test",
            Some "a condition names a parameter with a list of choices (in [...]) or a flag (true or false)"
        ],
        hints "param k = 5 in 3..10\nparam n = 5 in 3..10 when k = 5"
    )

    Assert.Equal<(string * string option) list>(
        [
            "SL0319 (5,27) 'k' has no choices for a condition to test",
            Some "a condition names a parameter with a list of choices (in [...]) or a flag (true or false)"
        ],
        hints "param k = 5\nparam n = 5 in 3..10 when k = 5"
    )

    // every value that is not a choice is reported, each where it is written
    Assert.Equal<(string * string option) list>(
        [
            "SL0320 (5,36) \"wma\" is not a choice of 'kind'", Some "its choices are \"sma\", \"ema\""
            "SL0320 (5,50) \"hma\" is not a choice of 'kind'", Some "its choices are \"sma\", \"ema\""
        ],
        hints (kind + "param n = 5 in 3..10 when kind in [\"wma\", \"ema\", \"hma\"]")
    )

    // a flag's choices are true and false, not the numbers they are stored as
    Assert.Equal<(string * string option) list>(
        [
            "SL0320 (5,34) 1 is not a choice of 'flag'", Some "its choices are true, false"
        ],
        hints "param flag = true\nparam n = 5 in 3..10 when flag = 1"
    )

    Assert.Equal<(string * string option) list>(
        [
            "SL0320 (5,34) 5 is not a choice of 'kind'", Some "its choices are \"sma\", \"ema\""
        ],
        hints (kind + "param n = 5 in 3..10 when kind = 5")
    )

    Assert.Equal<(string * string option) list>(
        [
            "SL0321 (5,13) 'n' has no range or choices, so no search varies it and a condition has nothing to switch",
            Some "give it a range (in LOW..HIGH) or choices (in [...]), or remove the condition"
        ],
        hints (kind + "param n = 5 when kind = \"ema\"")
    )

    Assert.Equal<(string * string option) list>(
        [
            "SL0310 (5,34) expected a literal value", Some "write a number, text, true or false"
        ],
        hints (kind + "param n = 5 in 3..10 when kind = close")
    )

[<Fact>]
let ``a loop of conditions is reported once, at its first parameter, and names every step`` () =
    let loop =
        "param a = 1 in [1, 2] when b = 2\n"
        + "param x = 5 in 3..10\n"
        + "param b = 2 in [1, 2] when c = \"u\"\n"
        + "param c = \"u\" in [\"u\", \"v\"] when a = 1\n"
        + "let s = close * a * b * x"

    match Compiler.compile "test.strat" (withPortfolio loop) with
    | Ok _ -> failwith "a loop of conditions compiled"
    | Error ds ->
        Assert.Equal<(string * string option) list>(
            [
                "SL0212 (4,28) 'a' depends on itself through conditions: a -> b -> c -> a",
                Some "remove one of the conditions; each names an earlier parameter"
            ],
            ds |> List.map (fun d -> brief d, d.Hint)
        )

[<Fact>]
let ``a condition on a parameter whose own declaration is wrong is not reported again`` () =
    Assert.Equal<string list>(
        [ "SL0310 (4,14) expected a literal value" ],
        diagnosticsOf (withPortfolio "param kind = close\nparam n = 5 in 3..10 when kind = \"ema\"\nlet s = close")
    )

[<Fact>]
let ``fmt writes one value with '=' and several in a list, and keeps the plan`` () =
    let text =
        header
        + "param kind = \"sma\" in [\"sma\",\"ema\"]\n"
        + "param span = 20 in 5..50   when kind in [ \"ema\" ]\n"
        + "param n = 3 in 1..5 when kind ==\"sma\"  # the count\n"
        + "param m = 3 in 1..5 when kind in [\"sma\",\"ema\"]\n"
        + "let s = close * span * n * m\n"
        + "portfolio long top 5 by s\n"

    let expected =
        header
        + "param kind = \"sma\" in [\"sma\", \"ema\"]\n"
        + "param span = 20 in 5..50 when kind = \"ema\"\n"
        + "param n = 3 in 1..5 when kind = \"sma\"  # the count\n"
        + "param m = 3 in 1..5 when kind in [\"sma\", \"ema\"]\n"
        + "let s = close * span * n * m\n"
        + "portfolio long top 5 by s\n"

    match Compiler.formatWith readFile "test.strat" text with
    | Ok formatted ->
        Assert.Equal(expected, formatted)
        Assert.Equal((compileOk text).ContentHash(), (compileOk formatted).ContentHash())
    | Error ds -> failwith (System.String.Join("\n", ds |> List.map brief))

[<Fact>]
let ``explain says when a parameter is searched, a flag's values as true and false`` () =
    let lines = (Compiler.explain (compileOk conditional)).Split('\n')

    for line in
        [
            "    kind = \"sma\"  one of \"sma\", \"ema\", \"rsi\""
            "    span = 20  integer 5..50, searched when kind in [\"sma\", \"ema\"]"
            "    rsi_period = 14  integer 5..30, searched when kind = \"rsi\""
            "    volume_window = 30  integer 10..90, searched when use_volume = true"
            "    smooth = 0  flag, searched when use_volume = false"
            "    band = 0.01  one of 0.01, 0.02, searched when window = 86400"
        ] do
        Assert.Contains(line, lines)

[<Fact>]
let ``the search space of a plan carries each condition`` () =
    let space = PlanSearchSpace.From(compileOk conditional)

    let find name =
        match space.Find name with
        | null -> failwith $"no parameter %s{name} in the space"
        | p -> p

    let condition name =
        match (find name).When with
        | null -> None
        | c -> Some c

    Assert.Equal(None, condition "kind")

    Assert.Equal(
        Some(ParameterCondition("kind", ImmutableArray.Create(ScalarValue.Of "sma", ScalarValue.Of "ema"))),
        condition "span"
    )

    Assert.Equal(
        Some(ParameterCondition("use_volume", ImmutableArray.Create(ScalarValue.Of 1.0))),
        condition "volume_window"
    )

    Assert.Equal(Some(ParameterCondition("use_volume", ImmutableArray.Create(ScalarValue.Of 0.0))), condition "smooth")
    Assert.Equal(Some(ParameterCondition("band", ImmutableArray.Create(ScalarValue.Of 0.02))), condition "lr")

    // active only under the condition, and chained: lr needs band = 2%, which needs window = 1d
    let active name (chosen: (string * ScalarValue) list) =
        SearchSpace.IsActive(find name, values chosen)

    Assert.True(active "span" [ "kind", ScalarValue.Of "ema" ])
    Assert.False(active "span" [ "kind", ScalarValue.Of "rsi" ])
    Assert.False(active "lr" [ "window", ScalarValue.Of 14400.0 ])
    Assert.True(active "lr" [ "window", ScalarValue.Of 86400.0; "band", ScalarValue.Of 0.02 ])

[<Fact>]
let ``a trial without a value for a parameter binds its default`` () =
    let plan = compileOk conditional

    let bound =
        ParameterSet.Bind(plan, values [ "kind", ScalarValue.Of "rsi"; "rsi_period", ScalarValue.Of 7.0 ])

    Assert.Equal(ScalarValue.Of "rsi", bound["kind"])
    Assert.Equal(ScalarValue.Of 7.0, bound["rsi_period"])
    // span is inactive for rsi and keeps the 20 the source gives it; every other parameter is at its default
    Assert.Equal(ScalarValue.Of 20.0, bound["span"])
    Assert.Equal(ScalarValue.Of 30.0, bound["volume_window"])
    Assert.Equal(ScalarValue.Of 0.01, bound["lr"])
    Assert.Equal(plan.Parameters.Length, bound.Count)

[<Fact>]
let ``a value given by hand for a parameter whose condition does not hold is refused, naming the condition`` () =
    let plan = compileOk conditional

    let parse pairs =
        ParameterSet.Parse(plan, readOnlyDict pairs)

    let refused pairs =
        (Assert.Throws<PlanException>(fun () -> parse pairs |> ignore)).Message

    // kind is "sma" by default, and rsi_period is read only for "rsi"
    Assert.Equal(
        "--param rsi_period: rsi_period is used only when kind is \"rsi\", and kind is \"sma\"; leave rsi_period out or change kind",
        refused [ "rsi_period", "7" ]
    )

    Assert.Equal(
        "--param span: span is used only when kind is one of \"sma\", \"ema\", and kind is \"rsi\"; leave span out or change kind",
        refused [ "kind", "rsi"; "span", "30" ]
    )

    // a flag's value as the source writes it
    Assert.Equal(
        "--param volume_window: volume_window is used only when use_volume is true, and use_volume is false; leave volume_window out or change use_volume",
        refused [ "use_volume", "false"; "volume_window", "50" ]
    )

    // the same values are taken where the condition holds, and the other branch keeps its default
    let rsi = parse [ "kind", "rsi"; "rsi_period", "7" ]
    Assert.Equal((ScalarValue.Of 7.0, ScalarValue.Of 20.0), (rsi["rsi_period"], rsi["span"]))
    let ema = parse [ "kind", "ema"; "span", "30" ]
    Assert.Equal((ScalarValue.Of 30.0, ScalarValue.Of 14.0), (ema["span"], ema["rsi_period"]))

[<Fact>]
let ``a parameter conditioned on an unused parameter is unused too, even when that one's default matches`` () =
    // band's default 2% is what lr asks for, but band itself is used only with window = 1d
    let plan =
        compileOk (
            withPortfolio (
                "param window = 4h in [4h, 1d]\n"
                + "param band = 2% in [1%, 2%] when window = 1d\n"
                + "param lr = 0.01 in 0.001..0.1 log when band = 2%\n"
                + "let s = close * window * band * lr"
            )
        )

    let refused pairs =
        (Assert.Throws<PlanException>(fun () -> ParameterSet.Parse(plan, readOnlyDict pairs) |> ignore)).Message

    // durations and percentages as the plan holds them: 4h is 14400 seconds, a day 86400, 2% is 0.02
    Assert.Equal(
        "--param lr: lr is used only when band is 0.02, and band is used only when window is 86400, and window is 14400; leave lr out or change band",
        refused [ "lr", "0.05" ]
    )

    let bound =
        ParameterSet.Parse(plan, readOnlyDict [ "window", "86400"; "lr", "0.05" ])

    Assert.Equal(ScalarValue.Of 0.05, bound["lr"])

// momentum with a conditional count: k is searched only when sizing is "searched", and stays 5 otherwise
let private momentumSource =
    "strategy conditional_momentum\n"
    + "data daily_top100\n"
    + "bar 1d\n"
    + "universe top 100 by market_cap\n"
    + "param lookback = 20 in 5..60 by 5\n"
    + "param sizing = \"fixed\" in [\"fixed\", \"searched\"]\n"
    + "param k = 5 in 3..10 when sizing = \"searched\"\n"
    + "signal momentum = return(close, lookback)\n"
    + "portfolio long top k by momentum, short bottom k by momentum, equal weight\n"
    + "rebalance every bar\n"
    + "costs fee 5 bps\n"

[<Theory>]
[<InlineData("random")>]
[<InlineData("tpe")>]
[<InlineData("tpe-multivariate")>]
let ``a study leaves an inactive parameter out of its trials, and scores them at its default`` (sampler: string) =
    let plan = compileOk momentumSource
    let store = DataStore(Path.Combine(repoRoot, "data"))
    use panel = store.ParseCsv(store.Catalog.Get "daily_top100", ImportLog())
    use run = PreparedRun.Prepare(plan, panel)
    use storage = new InMemoryStudyStorage()

    // more trials than TPE's 10 random start-up trials, so that its own proposals are among them
    let options =
        StudyOptions(Objectives = [ Objective.Of "sharpe" ], Sampler = sampler, Seed = 5L, Trials = 16, Jobs = 1)

    let study = storage.OpenOrCreate(options.Define("conditional", run, momentumSource))
    StudyRunner(storage, study, run, options, "w").Run() |> ignore
    let trials = storage.Trials study.Id
    Assert.Equal(16, trials.Count)

    let sharpe (parameters: (string * ScalarValue) list) =
        use result = run.Backtest(run.Bind(values parameters), RunSettings.Default)
        PerformanceMetrics.FromReturns(result.Ledger.Returns, 365.0).Sharpe

    for t in trials do
        Assert.Equal(TrialState.Complete, t.State)
        let lookback = "lookback", t.Params["lookback"]

        if t.Params["sizing"] = ScalarValue.Of "searched" then
            Assert.Equal<string seq>([ "k"; "lookback"; "sizing" ], t.Params.Keys)
            Assert.Equal(sharpe [ lookback; "k", t.Params["k"] ], t.Values[0])
        else
            Assert.Equal<string seq>([ "lookback"; "sizing" ], t.Params.Keys)
            // the run took k = 5, the default, and not another count
            Assert.Equal(sharpe [ lookback; "k", ScalarValue.Of 5.0 ], t.Values[0])
            Assert.NotEqual(sharpe [ lookback; "k", ScalarValue.Of 3.0 ], t.Values[0])

    // both branches were tried
    Assert.Contains(trials, fun t -> t.Params.ContainsKey "k")
    Assert.Contains(trials, fun t -> not (t.Params.ContainsKey "k"))
