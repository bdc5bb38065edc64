module StrategyLab.Strategy.Dsl.Tests.LowerTests

open System.IO
open Xunit
open StrategyLab.Runtime.Plan
open StrategyLab.Strategy.Dsl
open StrategyLab.Strategy.Dsl.Tests.Support

let private plan name =
    let path = Path.Combine(repoRoot, "strategies", name)

    match Compiler.compileWith readFile path (File.ReadAllText path) with
    | Ok p -> p
    | Error ds -> failwith (System.String.Join("\n", ds |> List.map brief))

let private nn (x: 'a | null) : 'a =
    match x with
    | null -> failwith "unexpected null"
    | v -> v

let private noParams =
    Map.empty<string, ScalarValue> :> System.Collections.Generic.IReadOnlyDictionary<_, _>

let private number (plan: StrategyPlan) (e: ScalarExpr) =
    e.EvaluateNumber(plan.DefaultParameters())

let private op (plan: StrategyPlan) (id: int) =
    match plan.Nodes[id] with
    | :? OperatorNode as o -> o
    | other -> failwith $"node %d{id} is %A{other}"

let private describe (plan: StrategyPlan) (id: int) =
    let rec go (id: int) =
        match plan.Nodes[id] with
        | :? ColumnNode as c -> c.Column
        | :? ConstantNode as k -> Explain.scalar k.Value
        | :? OperatorNode as o ->
            let args = o.Args |> Seq.map Explain.scalar |> List.ofSeq
            let inputs = o.Inputs |> Seq.map go |> List.ofSeq
            o.Operator + "(" + System.String.Join(", ", inputs @ args) + ")"
        | :? ModelOutputNode as m -> "model " + m.Model
        | _ -> "?"

    go id

[<Fact>]
let ``numbers nodes densely in topological order`` () =
    for file in Directory.GetFiles(Path.Combine(repoRoot, "strategies"), "*.strat") do
        let p = plan (nn (Path.GetFileName file))

        p.Nodes
        |> Seq.iteri (fun i n ->
            Assert.Equal(i, n.Id)

            for d in n.Dependencies do
                Assert.True(d < n.Id, $"%s{file}: node %d{n.Id} reads later node %d{d}"))

[<Fact>]
let ``lowers the daily Jaquart strategy`` () =
    let p = plan "jaquart_lstm_daily.strat"
    Assert.Equal("daily_top100", p.Dataset)
    Assert.Equal(BarInterval("1d", 86400), p.Bar)
    Assert.Equal<string seq>([ "close"; "market_cap" ], p.Columns)

    match p.Universe with
    | :? TopUniverse as u ->
        Assert.Equal("market_cap", u.Column)
        Assert.Equal(100.0, number p u.Count)
    | other -> failwith $"unexpected universe %A{other}"

    let m = Assert.Single p.Models
    Assert.Equal("lstm", m.Kind)
    Assert.Equal("gt(xs_percentile(forward_return(close, 1)), 0.5)", describe p m.Label.Value)
    Assert.Equal<string list>([ "return(close, 1)" ], m.Inputs |> Seq.map (fun i -> describe p i.Node) |> List.ofSeq)

    let hyper =
        m.Hyperparameters
        |> Seq.map (fun h -> h.Name, Explain.scalar h.Value)
        |> Map.ofSeq

    Assert.Equal("90", hyper["window"])
    Assert.Equal("25", hyper["hidden"])
    Assert.Equal("10", hyper["ensemble"])
    Assert.Equal("\"binary\"", hyper["objective"])
    Assert.Equal("1", hyper["layers"])
    Assert.Equal(TrainingScheme.WalkForward, m.Training.Scheme)

    Assert.Equal<float list>(
        [ 750.0; 250.0; 1.0; 0.0; 250.0 ],
        [
            m.Training.Train
            m.Training.Test
            m.Training.Purge
            m.Training.Embargo
            m.Training.Retrain
        ]
        |> List.map (number p)
    )

    match List.ofSeq p.Portfolio.Legs with
    | [ (:? RankLeg as long); (:? RankLeg as short) ] ->
        Assert.Equal((Side.Long, true, "k", m.Output), (long.Side, long.Top, Explain.scalar long.Count, long.Signal))

        Assert.Equal(
            (Side.Short, false, "k", m.Output),
            (short.Side, short.Top, Explain.scalar short.Count, short.Signal)
        )
    | other -> failwith $"unexpected legs %A{other}"

    Assert.Equal(0.0015, number p p.Costs.TakerFee)
    Assert.Equal(0.0015, number p p.Costs.MakerFee)
    Assert.Equal("market", p.Execution.Policy)
    Assert.Null p.Rebalance.KeepWithinRank

[<Fact>]
let ``lowers the 4h Jaquart strategy with rank hysteresis, durations in bars and a limit-maker policy`` () =
    let p = plan "jaquart_lstm_4h_dynamic.strat"
    let m = Assert.Single p.Models
    Assert.Equal(1500.0, number p m.Training.Train)
    Assert.Equal(180.0, number p m.Training.Test)
    Assert.Equal("k + buffer", Explain.scalar (nn p.Rebalance.KeepWithinRank))
    Assert.Equal(4.0, (nn p.Rebalance.KeepWithinRank).EvaluateNumber(p.DefaultParameters()))
    Assert.Equal("limit_maker", p.Execution.Policy)

    Assert.Equal<string list>(
        [ "offset 0.0005"; "timeout 30"; "retries 4"; "shrink 0.5" ],
        p.Execution.Arguments
        |> Seq.map (fun a -> a.Name + " " + Explain.scalar a.Value)
        |> List.ofSeq
    )

    Assert.Equal(MinNotionalRule.Skip, p.Execution.MinNotional)
    Assert.Equal(0.0, number p p.Costs.MakerFee)
    Assert.Equal(0.0005, number p p.Costs.TakerFee)

[<Fact>]
let ``lowers the aggregated-score strategy with weights as real parameters and threshold legs`` () =
    let p = plan "aggregated_score_lstm.strat"

    for i in 0..8 do
        let w = p.Parameters |> Seq.find (fun x -> x.Name = $"w%d{i}")
        Assert.Equal(ParameterKind.Real, w.Kind)
        Assert.Equal((0.0, 2.0, 1.0), (w.Min.Value, w.Max.Value, w.Default.Number))

    let enter = p.Parameters |> Seq.find (fun x -> x.Name = "enter_long")
    Assert.True enter.LogScale
    let horizon = p.Parameters |> Seq.find (fun x -> x.Name = "horizon")
    Assert.Equal(ParameterKind.Integer, horizon.Kind)

    let m = Assert.Single p.Models
    Assert.Equal(9, m.Inputs.Length)
    Assert.StartsWith("forward(", describe p m.Label.Value)
    Assert.Equal<string list>([ "horizon" ], (op p m.Label.Value).Args |> Seq.map Explain.scalar |> List.ofSeq)

    match List.ofSeq p.Portfolio.Legs with
    | [ (:? ThresholdLeg as long); (:? ThresholdLeg as short) ] ->
        Assert.Equal("gt(model lstm_model, enter_long)", describe p long.Entry)
        Assert.Equal("lt(model lstm_model, exit_long)", describe p long.Exit.Value)
        Assert.Equal("lt(model lstm_model, -enter_short)", describe p short.Entry)
    | other -> failwith $"unexpected legs %A{other}"

    match p.Universe with
    | :? FixedUniverse as u -> Assert.Equal<string seq>([ "BTCUSDT"; "ETHUSDT" ], u.Symbols)
    | other -> failwith $"unexpected universe %A{other}"

[<Fact>]
let ``lowers the 1-minute LightGBM strategy with feature flags, a comprehension and date-scoped quantiles`` () =
    let p = plan "lightgbm_quantile_1m.strat"
    let m = Assert.Single p.Models
    Assert.Equal("gbdt", m.Kind)
    // 8 returns from the comprehension, then bop, cci, mfi, rsi, stochrsi, two stochastics and natr
    Assert.Equal(16, m.Inputs.Length)

    Assert.Equal<string list>(
        [ "return(close, 1)"; "return(close, 2)"; "return(close, 63)" ],
        [ 0; 1; 7 ] |> List.map (fun i -> describe p m.Inputs[i].Node)
    )

    Assert.Equal<string list>(
        [ "use_returns"; "use_bop"; "use_stoch"; "use_stoch"; "use_natr" ],
        [ 0; 8; 13; 14; 15 ]
        |> List.map (fun i -> Explain.scalar (nn m.Inputs[i].EnabledWhen))
    )

    Assert.Equal("bop(open, high, low, close)", describe p m.Inputs[8].Node)
    Assert.Equal(30.0 * 1440.0, number p m.Training.Train)
    Assert.Equal(1440.0, number p m.Training.Retrain)
    Assert.Equal(QuantileScope.Date, p.Portfolio.Scope)

    match List.ofSeq p.Portfolio.Legs with
    | [ (:? QuantileLeg as long); (:? QuantileLeg as short) ] ->
        Assert.Equal(("bins", "bins"), (Explain.scalar long.Bucket, Explain.scalar long.Bins))
        Assert.Equal(("1", "bins"), (Explain.scalar short.Bucket, Explain.scalar short.Bins))
    | other -> failwith $"unexpected legs %A{other}"

    let flags =
        p.Parameters
        |> Seq.filter (fun x -> x.Kind = ParameterKind.Boolean)
        |> Seq.length

    Assert.Equal(8, flags)

[<Fact>]
let ``lowers the classifier bot with its risk limits and funding`` () =
    let p = plan "gbdt_classifier_bot.strat"

    Assert.Equal<string list>(
        [
            "MaxPosition 0.1 Clip"
            "DailyLoss 0.03 Flatten, Halt"
            "MaxDrawdown 0.25 Stop"
        ],
        p.Risk
        |> Seq.map (fun r -> $"%A{r.Kind} %s{Explain.scalar r.Threshold} %A{r.Action}")
        |> List.ofSeq
    )

    Assert.Equal("funding_rate", p.Costs.FundingColumn)
    let m = Assert.Single p.Models

    let hyper =
        m.Hyperparameters
        |> Seq.map (fun h -> h.Name, Explain.scalar h.Value)
        |> Map.ofSeq

    Assert.Equal(("\"multiclass\"", "3"), (hyper["objective"], hyper["classes"]))
    Assert.Equal(6.0, number p m.Training.Embargo)
    Assert.Contains("funding_rate", p.Columns)

[<Fact>]
let ``lowers an ensemble of different models after its members, with fitted weights`` () =
    let p = plan "ensemble_lstm_gbdt.strat"
    Assert.Equal<string list>([ "lstm_base"; "trees"; "blend" ], p.Models |> Seq.map (fun m -> m.Name) |> List.ofSeq)
    let blend = p.Models[2]
    Assert.True blend.FitWeights
    Assert.Equal<string list>([ "lstm_base"; "trees" ], blend.Members |> Seq.map (fun m -> m.Model) |> List.ofSeq)
    let output = p.Nodes[blend.Output] :?> ModelOutputNode
    Assert.Contains(p.Models[0].Output, output.DependsOn)
    Assert.Contains(p.Models[1].Output, output.DependsOn)

[<Fact>]
let ``lowers the plain strategies`` () =
    let momentum = plan "momentum_long_short.strat"
    let signal = momentum.Named |> Seq.find (fun n -> n.Role = SeriesRole.Signal)
    Assert.Equal("return(close, lookback)", describe momentum signal.Node)
    let lookback = momentum.Parameters |> Seq.find (fun x -> x.Name = "lookback")
    Assert.Equal((ParameterKind.Integer, 5.0), (lookback.Kind, lookback.Step.Value))

    let crossover = plan "ma_crossover.strat"

    match List.ofSeq crossover.Portfolio.Legs with
    | [ (:? ThresholdLeg as long); (:? ThresholdLeg as short) ] ->
        Assert.Equal("gt(sma(close, fast), sma(close, slow))", describe crossover long.Entry)
        Assert.Equal("lt(sma(close, fast), sma(close, slow))", describe crossover short.Entry)
    | other -> failwith $"unexpected legs %A{other}"

[<Fact>]
let ``shares one node between equal sub-expressions`` () =
    let p =
        compileOk (withPortfolio "let a = sma(close, 10) + 1\nlet b = sma(close, 10) * 2\nlet s = a - b")

    let smas =
        p.Nodes
        |> Seq.filter (fun n ->
            match n with
            | :? OperatorNode as o -> o.Operator = "sma"
            | _ -> false)

    Assert.Single smas |> ignore

[<Fact>]
let ``inlines defs, expands comprehensions and turns lags and durations into bars`` () =
    let p =
        compileOk (
            header.Replace("bar 1d", "bar 1h")
            + "def z(x, n) = (x - mean(x, n)) / std(x, n)\nlet s = z(close[2], 1d)\n"
            + "let r = [return(close, h) for h in [1..3, 10..30 by 10]]\n"
            + "label up = forward_return(close, 1) > 0\n"
            + "model m = linear(inputs: r)\n    learn up\n    train walk_forward(train: 100, test: 10)\n"
            + "portfolio long top 5 by s\n"
        )

    let s = p.Named |> Seq.find (fun n -> n.Name = "s")
    Assert.Equal("div(sub(lag(close, 2), mean(lag(close, 2), 24)), std(lag(close, 2), 24, 1))", describe p s.Node)

    let returns =
        p.Nodes
        |> Seq.choose (fun n ->
            match n with
            | :? OperatorNode as o when o.Operator = "return" -> Some(describe p o.Id)
            | _ -> None)
        |> List.ofSeq

    Assert.Equal<string list>(
        [
            "return(close, 1)"
            "return(close, 2)"
            "return(close, 3)"
            "return(close, 10)"
            "return(close, 20)"
            "return(close, 30)"
        ],
        returns
    )

[<Fact>]
let ``fills argument defaults from the runtime catalogue`` () =
    let p = compileOk (withPortfolio "let s = macd() + cci() + std(close, 5)")
    let s = p.Named |> Seq.find (fun n -> n.Name = "s")

    Assert.Equal("add(add(macd(close, 12, 26, 9), cci(high, low, close, 14)), std(close, 5, 1))", describe p s.Node)

[<Fact>]
let ``fills statement defaults: fees, market orders, every bar, full exposure`` () =
    let p = compileOk (withPortfolio "let s = close")
    Assert.Equal(0.001, number p p.Costs.TakerFee)
    Assert.Equal("market", p.Execution.Policy)
    Assert.Equal(FillTiming.NextOpen, p.Execution.Fill)
    Assert.Equal(1.0, number p p.Rebalance.EveryBars)
    Assert.Equal(1.0, number p p.Portfolio.Gross)
    Assert.Empty p.Risk

[<Fact>]
let ``lowers exits to fractions of the entry price and times in bars`` () =
    let p =
        compileOk (
            header.Replace("bar 1d", "bar 1h")
            + "param sl = 5% in 1%..10%\nlet s = close\n"
            + "exits stop_loss sl, take_profit 10%, trailing_stop 3%, max_hold 48h, roi [0: 4%, 30m * 2: 2%, 6: -1%], cooldown 4\n"
            + "portfolio long top 5 by s\n"
        )

    let x = nn p.Exits
    let v (e: ScalarExpr | null) = number p (nn e)
    Assert.Equal((0.05, 0.1, 0.03), (v x.StopLoss, v x.TakeProfit, v x.TrailingStop))
    // 48 hours of 1-hour bars; the table's times in bars (30m × 2 is one bar), its returns as fractions
    Assert.Equal((48.0, 4.0), (v x.MaxHoldBars, v x.CooldownBars))

    Assert.Equal<(float * float) list>(
        [ 0.0, 0.04; 1.0, 0.02; 6.0, -0.01 ],
        x.Roi
        |> Seq.map (fun r -> number p r.AfterBars, number p r.Return)
        |> List.ofSeq
    )

    Assert.Equal("sl", (nn x.StopLoss :?> ScalarParam).Name)

[<Fact>]
let ``lowers an order policy's market fallback, and plans without exits or a fallback keep their hashes`` () =
    let p =
        compileOk (withPortfolio "let s = close\nexecution limit_maker(offset: 0.05%), fallback market")

    Assert.True p.Execution.MarketFallback

    Assert.False(
        compileOk(withPortfolio "let s = close\nexecution limit_maker(offset: 0.05%)").Execution.MarketFallback
    )
    // what plans without the new settings write is what they wrote before them
    let plain = compileOk (withPortfolio "let s = close")
    Assert.Null plain.Exits
    Assert.DoesNotContain("Exits", plain.ToCanonicalJson())
    Assert.DoesNotContain("MarketFallback", plain.ToCanonicalJson())
    Assert.Contains("\"Exits\":", (compileOk (withPortfolio "let s = close\nexits stop_loss 5%")).ToCanonicalJson())

[<Fact>]
let ``maps nodes back to the source line and column`` () =
    let p = compileOk (withPortfolio "let s = rsi(close, 14)")
    let s = p.Named |> Seq.find (fun n -> n.Name = "s")
    Assert.Equal(SourceLocation("test.strat", 4, 9), p.SourceMap[s.Node])

[<Fact>]
let ``gives equal plans the same content hash whatever the formatting and comments`` () =
    let a = compileOk (withPortfolio "let s = sma(close, 10)")

    let b =
        compileOk (withPortfolio "# a comment\nlet   s =  sma( close , period: 10 )  # more")

    let c = compileOk (withPortfolio "let s = sma(close, 11)")
    Assert.Equal(a.ContentHash(), b.ContentHash())
    Assert.NotEqual<string>(a.ContentHash(), c.ContentHash())
    Assert.Matches("^[0-9a-f]{64}$", a.ContentHash())

[<Fact>]
let ``computes warm-up bars from the catalogue under given parameter values`` () =
    let p =
        compileOk (withPortfolio "param n = 10 in 5..20\nlet s = rsi(sma(close, n), 14)")

    let s = p.Named |> Seq.find (fun n -> n.Name = "s")
    Assert.Equal(9 + 14, (p.WarmUpBars(p.DefaultParameters()))[s.Node])

    let custom = readOnlyDict [ "n", ScalarValue.Of 20.0 ]

    Assert.Equal(19 + 14, (p.WarmUpBars custom)[s.Node])
    ignore noParams

[<Fact>]
let ``keeps a choice parameter symbolic so a search can switch the branch it selects`` () =
    let p =
        compileOk (
            withPortfolio
                "param kind = \"sma\" in [\"sma\", \"ema\"]\nlet s = if kind == \"sma\" then sma(close, 10) else ema(close, 10)"
        )

    let s = p.Named |> Seq.find (fun n -> n.Name = "s")
    let select = op p s.Node
    Assert.Equal("select", select.Operator)
    let condition = (p.Nodes[select.Inputs[0]] :?> ConstantNode).Value
    Assert.Equal(1.0, condition.EvaluateNumber(p.DefaultParameters()))
    Assert.Equal(0.0, condition.EvaluateNumber(readOnlyDict [ "kind", ScalarValue.Of "ema" ]))
    let kind = p.Parameters |> Seq.find (fun x -> x.Name = "kind")
    Assert.Equal(ParameterKind.Choice, kind.Kind)
    Assert.Equal<string list>([ "sma"; "ema" ], kind.Choices |> Seq.map (fun c -> nn c.Text) |> List.ofSeq)

[<Fact>]
let ``every catalogue operator not spelled as a keyword can be called with its required arguments`` () =
    for spec in OperatorCatalogue.All do
        if not (Syntax.reserved.Contains spec.Name) then
            let args =
                spec.Parameters
                |> Seq.filter (fun p -> p.IsRequired)
                |> Seq.map (fun p ->
                    match p.Type with
                    | ArgumentType.Series -> "close"
                    | ArgumentType.Window -> "5"
                    | ArgumentType.Integer -> "2"
                    | ArgumentType.Text -> "\"" + p.AllowedChoices[0] + "\""
                    | _ -> "1")

            let call = spec.Name + "(" + System.String.Join(", ", args) + ")"

            let body =
                if spec.IsForwardLooking then
                    $"label l = %s{call}\nlet s = close"
                else
                    $"let s = %s{call}"

            let p = compileOk (withPortfolio body)

            let node =
                if spec.IsForwardLooking then
                    (p.Named |> Seq.find (fun n -> n.Name = "l")).Node
                else
                    (p.Named |> Seq.find (fun n -> n.Name = "s")).Node

            let o = op p node
            Assert.Equal(spec.Name, o.Operator)
            Assert.Equal(Seq.length spec.SeriesParameters, o.Inputs.Length)
            Assert.Equal(Seq.length spec.ScalarParameters, o.Args.Length)
