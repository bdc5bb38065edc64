/// The prepared run: one strategy bound to its data, many parameter bindings sharing it
module StrategyLab.Strategy.Dsl.Tests.PreparedRunTests

open System
open System.Collections.Generic
open System.IO
open System.Threading.Tasks
open Xunit
open StrategyLab.Runtime.Data
open StrategyLab.Runtime.Evaluation
open StrategyLab.Runtime.Plan
open StrategyLab.Runtime.Runs
open StrategyLab.Strategy.Dsl
open StrategyLab.Strategy.Dsl.Tests.Support

let private momentum () =
    let path = Path.Combine(repoRoot, "strategies", "momentum_long_short.strat")

    match Compiler.compile path (File.ReadAllText path) with
    | Ok p -> p
    | Error d -> failwithf "%A" d

let private dataset (name: string) =
    let store = DataStore(Path.Combine(repoRoot, "data"))
    store.ParseCsv(store.Catalog.Get name, ImportLog())

let private values (pairs: (string * float) list) =
    let d = Dictionary<string, ScalarValue>()

    for name, x in pairs do
        d[name] <- ScalarValue.Of x

    d :> IReadOnlyDictionary<_, _>

[<Fact>]
let ``trials bound to one prepared run in parallel give what each gives alone`` () =
    use panel = dataset "daily_top100"
    use run = PreparedRun.Prepare(momentum (), panel)

    let trials =
        [|
            for k in 3..10 -> run.Bind(values [ "k", float k; "lookback", float (5 * k) ])
        |]

    let alone =
        trials
        |> Array.map (fun p ->
            use r = run.Backtest(p, RunSettings.Default)
            r.Ledger.Equity)

    let together = Array.zeroCreate trials.Length

    Parallel.For(
        0,
        trials.Length,
        fun i ->
            use r = run.Backtest(trials[i], RunSettings.Default)
            together[i] <- r.Ledger.Equity
    )
    |> ignore

    for i in 0 .. trials.Length - 1 do
        Assert.Equal<float>(alone[i], together[i])

    // the trials differ, so equal curves are no accident of a parameter left unread
    Assert.NotEqual<float>(alone[0], alone[1])

[<Fact>]
let ``every binding reads the bars and the universe the run prepared once`` () =
    use panel = dataset "btcquoted_5m"

    let plan =
        compileOk (
            "strategy h \"hourly\"\ndata btcquoted_5m\nbar 1h\nparam n = 24 in 2..48\n"
            + "signal s = return(close, n)\nportfolio long top 2 by s, short bottom 2 by s\n"
        )

    use run = PreparedRun.Prepare(plan, panel)
    Assert.Equal("1h", string run.Panel.Interval)
    Assert.Equal<string>([ "candles of 5m aggregated to 1h" ], run.Notes |> Seq.map (fun n -> n.Split(';')[0]))
    use first = run.Backtest(run.Bind(values [ "n", 12.0 ]), RunSettings.Default)
    use second = run.Backtest(run.Bind(values [ "n", 36.0 ]), RunSettings.Default)
    Assert.Same(run.Panel, first.Panel)
    Assert.Same(run.Panel, second.Panel)
    // the aggregation note reaches every run, once
    Assert.Equal(1, first.Notes |> Seq.filter (fun n -> n.StartsWith "candles of 5m") |> Seq.length)

[<Fact>]
let ``a top-N universe is selected once for every binding with the same count`` () =
    use panel = dataset "daily_top100"
    use run = PreparedRun.Prepare(momentum (), panel)
    let five = run.Universe(run.Bind(values [ "k", 5.0 ]))
    let seven = run.Universe(run.Bind(values [ "k", 7.0; "lookback", 40.0 ]))
    Assert.NotNull five
    Assert.Same(five, seven)

[<Fact>]
let ``parameters bind only as values of their declared kind and range`` () =
    let plan =
        compileOk (
            header
            + "param k = 5 in 3..10\nparam w = 0.5 in 0.1..0.9\nparam kind = \"sma\" in [\"sma\", \"ema\"]\nparam flag = true\n"
            + "signal s = return(close, k) * w\nportfolio long top k by s\n"
        )

    let refused (bind: unit -> ParameterSet) =
        (Assert.Throws<PlanException>(fun () -> bind () |> ignore)).Message

    let text (pairs: (string * string) list) =
        let d = Dictionary<string, string>()

        for name, x in pairs do
            d[name] <- x

        d :> IReadOnlyDictionary<_, _>

    Assert.Equal(
        "parameter k: 11 is outside its range 3..10",
        refused (fun () -> ParameterSet.Bind(plan, values [ "k", 11.0 ]))
    )

    Assert.Equal(
        "parameter k: expected a whole number, found '4.5'",
        refused (fun () -> ParameterSet.Bind(plan, values [ "k", 4.5 ]))
    )

    Assert.Equal(
        "parameter flag: expected true or false, found '2'",
        refused (fun () -> ParameterSet.Bind(plan, values [ "flag", 2.0 ]))
    )

    Assert.Equal(
        "parameter q: strategy 't' has no parameter 'q'; it has k, w, kind, flag",
        refused (fun () -> ParameterSet.Bind(plan, values [ "q", 1.0 ]))
    )

    Assert.Equal(
        "--param kind: expected one of \"sma\", \"ema\", found 'wma'",
        refused (fun () -> ParameterSet.Parse(plan, text [ "kind", "wma" ]))
    )

    Assert.Equal(
        "--param w: expected a number, found 'x'",
        refused (fun () -> ParameterSet.Parse(plan, text [ "w", "x" ]))
    )

    let bound =
        ParameterSet.Parse(plan, text [ "k", "7"; "kind", "ema"; "flag", "false" ])

    Assert.Equal(ScalarValue.Of 7.0, bound["k"])
    Assert.Equal(ScalarValue.Of "ema", bound["kind"])
    Assert.Equal(ScalarValue.Of 0.0, bound["flag"])
    Assert.Equal(ScalarValue.Of 0.5, bound["w"])

[<Fact>]
let ``lowering carries a quantile leg's bucket series, so the runtime never adds to the plan`` () =
    let plan =
        compileOk (
            header
            + "signal s = return(close, 5)\nportfolio long quantile 5 of 5 by s, short quantile 1 of 5 by s\n"
        )

    let buckets =
        plan.Nodes
        |> Seq.choose (fun n ->
            match n with
            | :? OperatorNode as o when o.Operator = "xs_quantile" -> Some o
            | _ -> None)
        |> List.ofSeq

    // both legs read one series: the signal's buckets in 5 bins across assets at each timestamp
    let bucket = Assert.Single buckets
    let signal = plan.Named |> Seq.find (fun n -> n.Name = "s")
    Assert.Equal<int>([ signal.Node ], bucket.Inputs)
    Assert.Equal<ScalarExpr>([ ScalarConst 5.0 :> ScalarExpr; ScalarText "timestamp" ], bucket.Args)

    // a plan without it is refused with the reason, not completed behind the caller's back
    let stripped =
        StrategyPlan(
            plan.Name,
            plan.Description,
            plan.Dataset,
            plan.Bar,
            plan.Universe,
            plan.Parameters,
            plan.Nodes.RemoveAt(plan.Nodes.Length - 1),
            plan.Named,
            plan.Models,
            plan.Portfolio,
            plan.Rebalance,
            plan.Costs,
            plan.Risk,
            plan.Execution,
            plan.Columns,
            plan.SourceMap
        )

    use panel = dataset "daily_top100"
    use run = PreparedRun.Prepare(stripped, panel)

    let e =
        Assert.Throws<PlanException>(fun () -> run.LastTargets run.Defaults |> ignore)

    Assert.Contains("bucket series", e.Message)

// prices of `assets` assets over `bars` daily bars, each drifting at its own rate, none missing
let private drifting (assets: int) (bars: int) =
    let close =
        Array.init (assets * bars) (fun i ->
            let t, a = i / assets, i % assets
            100.0 * Math.Pow(1.0 + 0.001 * float (a + 1), float t))

    let times = Array.init bars (fun t -> 1_577_836_800_000L + int64 t * 86_400_000L)

    new Panel(
        "drifting",
        Interval.Parse "1d",
        Collections.Immutable.ImmutableArray.CreateRange(Seq.init assets (fun a -> $"A%02d{a}")),
        Collections.Immutable.ImmutableArray.Create<string>([| "open"; "high"; "low"; "close" |]),
        new ArrayColumnStore(times, [| close; close; close; close |])
    )

[<Fact>]
let ``a top-k/bottom-k rule with fewer than 2k eligible assets warns, and says when a side held nothing`` () =
    let plan =
        compileOk (
            "strategy t \"test\"\ndata drifting\nbar 1d\nsignal s = return(close, 3)\n"
            + "portfolio long top 5 by s, short bottom 5 by s\n"
        )

    let warningsWith assets =
        use panel = drifting assets 40
        use run = PreparedRun.Prepare(plan, panel)
        use result = run.Backtest(run.Defaults, RunSettings.Default)
        List.ofSeq result.Warnings

    // 12 assets: both legs full, no warning
    Assert.Empty(warningsWith 12)
    // 7 assets: 3 chosen by both legs cancel on every bar after the 3-bar warm-up; each side keeps 2
    let seven = Assert.Single(warningsWith 7)

    Assert.StartsWith(
        "On 37 of 40 traded bars (first 2020-01-04) the long and short legs chose the same assets, which cancel: fewer assets were eligible than the legs ask for together (5 + 5)",
        seven
    )

    Assert.EndsWith("so the book was smaller than the rule says.", seven)
    // 4 assets: both legs choose all four, and the book is empty
    let four = Assert.Single(warningsWith 4)
    Assert.EndsWith("; on 37 of them a side held nothing (first 2020-01-04).", four)
    // only the traded period counts
    use panel = drifting 4 40
    use run = PreparedRun.Prepare(plan, panel)

    use late =
        run.Backtest(run.Defaults, RunSettings(From = Nullable(1_577_836_800_000L + 30L * 86_400_000L)))

    Assert.StartsWith("On 10 of 10 traded bars (first 2020-01-31)", Assert.Single late.Warnings)

[<Fact>]
let ``the starting capital scales the book and leaves the returns as they were`` () =
    use panel = dataset "daily_top100"
    use run = PreparedRun.Prepare(momentum (), panel)
    use tenThousand = run.Backtest(run.Defaults, RunSettings.Default)
    use twentyThousand = run.Backtest(run.Defaults, RunSettings(Capital = 20_000.0))
    Assert.Equal(10_000.0, tenThousand.Options.InitialCapital)
    // doubling is exact in binary floating point, and nothing in the ledger depends on the amount
    Assert.Equal<float>(tenThousand.Ledger.Equity |> Array.map (fun e -> 2.0 * e), twentyThousand.Ledger.Equity)
    Assert.Equal<float>(tenThousand.Ledger.Returns, twentyThousand.Ledger.Returns)

    let refused =
        Assert.Throws<PlanException>(fun () -> run.Backtest(run.Defaults, RunSettings(Capital = 0.0)) |> ignore)

    Assert.Equal("--capital: expected a positive amount, found 0", refused.Message)

[<Fact>]
let ``a window longer than the data leaves its series missing with a warning, not an error or an allocation by the window``
    ()
    =
    let plan =
        compileOk (
            "strategy t \"test\"\ndata drifting\nbar 1d\nparam n = 60 in 2..10000000\nsignal s = return(close, n)\n"
            + "portfolio long top 2 by s\n"
        )

    use panel = drifting 6 40
    use run = PreparedRun.Prepare(plan, panel)
    // ten million bars: a ring sized by the window would be 480 MB for six assets
    let before = GC.GetTotalAllocatedBytes true

    use result =
        run.Backtest(run.Bind(values [ "n", 10_000_000.0 ]), RunSettings.Default)

    Assert.True(GC.GetTotalAllocatedBytes true - before < 50_000_000L, "allocated by the window")

    Assert.Equal<string>(
        [
            "test.strat(5,12): return: a window of 10000000 bars is longer than the 40 bars of dataset 'drifting', so its values are all missing"
        ],
        result.Warnings
    )

    Assert.All(result.Ledger.GrossExposure, (fun g -> Assert.Equal(0.0, g)))
    // a window the data can fill is untouched
    use fits = run.Backtest(run.Bind(values [ "n", 5.0 ]), RunSettings.Default)
    Assert.Empty fits.Warnings
    Assert.Contains(fits.Ledger.GrossExposure, (fun g -> g > 0.0))

// `assets` assets whose closes wander at random over `bars` daily bars from Wednesday 2020-01-01
let private wandering (assets: int) (bars: int) =
    let random = Random 7
    let close = Array.zeroCreate (assets * bars)

    for t in 0 .. bars - 1 do
        for a in 0 .. assets - 1 do
            let before = if t = 0 then 100.0 else close[(t - 1) * assets + a]
            close[t * assets + a] <- before * (1.0 + (random.NextDouble() - 0.5) * 0.1)

    let times = Array.init bars (fun t -> 1_577_836_800_000L + int64 t * 86_400_000L)

    new Panel(
        "wandering",
        Interval.Parse "1d",
        Collections.Immutable.ImmutableArray.CreateRange(Seq.init assets (fun a -> $"A%02d{a}")),
        Collections.Immutable.ImmutableArray.Create<string>([| "open"; "high"; "low"; "close" |]),
        new ArrayColumnStore(times, [| close; close; close; close |])
    )

[<Fact>]
let ``weekly rebalancing starts its weeks on Monday 00:00 UTC, as weekly bars do, and a count of bars from the first bar``
    ()
    =
    let plan every =
        compileOk (
            $"strategy t \"test\"\ndata wandering\nbar 1d\nsignal s = return(close, 1)\n"
            + $"portfolio long top 3 by s, short bottom 3 by s\nrebalance every {every}\n"
        )

    use panel = wandering 12 120
    // decisions at a rebalance bar's close fill at the next bar's open
    let decisionDays (every: string) =
        use run = PreparedRun.Prepare(plan every, panel)
        use result = run.Backtest(run.Defaults, RunSettings.Default)

        result.Ledger.Fills
        |> Seq.map (fun f -> DateTimeOffset.FromUnixTimeMilliseconds(panel.Times[f.Bar - 1]).UtcDateTime)
        |> Seq.distinct
        |> List.ofSeq

    let weekly = decisionDays "1w"
    Assert.True(weekly.Length >= 15, $"%d{weekly.Length} decisions")
    // the first bar (Wednesday 1 January) has no signal yet, so the first decision is Monday 6 January
    Assert.Equal(DateTime(2020, 1, 6), weekly.Head)
    Assert.All(weekly, (fun d -> Assert.Equal(DayOfWeek.Monday, d.DayOfWeek)))
    // seven bars count from the first bar, a Wednesday: the decisions fall on Wednesdays
    let sevenBars = decisionDays "7"
    Assert.All(sevenBars, (fun d -> Assert.Equal(DayOfWeek.Wednesday, d.DayOfWeek)))

[<Fact>]
let ``a plan's exits and its order fallback reach the backtest, which notes what the exits closed`` () =
    let text =
        File
            .ReadAllText(Path.Combine(repoRoot, "strategies", "momentum_long_short.strat"))
            .Replace(
                "costs fee 5 bps",
                "costs fee 5 bps\nexits stop_loss 8%, max_hold 10d, cooldown 2d\nexecution limit_maker(offset: 0.05%), fallback market"
            )

    use panel = dataset "daily_top100"
    use run = PreparedRun.Prepare(compileOk text, panel)
    use result = run.Backtest(run.Defaults, RunSettings.Default)
    let exits = result.Options.Exits
    Assert.Equal((0.08, 10, 2), (exits.StopLoss, exits.MaxHoldBars, exits.CooldownBars))
    Assert.True(Double.IsNaN exits.TakeProfit)
    Assert.True result.Options.LimitFallbackMarket
    Assert.NotEmpty result.Ledger.Exits
    Assert.All(result.Ledger.Exits, (fun e -> Assert.Contains(e.Rule, [ "stop_loss"; "max_hold" ])))
    let counts = result.Ledger.Exits |> Seq.countBy (fun e -> e.Rule) |> Map.ofSeq

    let expected =
        "Positions closed by their exits: "
        + String.Join(
            ", ",
            result.Ledger.Exits
            |> Seq.map (fun e -> e.Rule)
            |> Seq.distinct
            |> Seq.map (fun r -> $"%d{counts[r]} by %s{r}")
        )
        + "."

    Assert.Contains(expected, result.Notes)
    // without the statement, nothing of it reaches the run
    use plain = PreparedRun.Prepare(momentum (), panel)
    use plainResult = plain.Backtest(plain.Defaults, RunSettings.Default)
    Assert.True plainResult.Options.Exits.IsEmpty
    Assert.Empty plainResult.Ledger.Exits
