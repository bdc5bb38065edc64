/// A compiled plan run by the runtime: block evaluation equals batch evaluation bit for bit, and the
/// reference workloads give the reference implementation's numbers
module StrategyLab.Strategy.Dsl.Tests.EvaluationTests

open System
open System.IO
open Xunit
open FsCheck
open FsCheck.FSharp
open StrategyLab.Runtime.Data
open StrategyLab.Runtime.Data.Synthetic
open StrategyLab.Runtime.Evaluation
open StrategyLab.Runtime.Runs
open StrategyLab.Runtime.Plan
open StrategyLab.Strategy.Dsl.Tests.Support

// every operator that may decide a trade, each in a let of its own so that every one is a plan node
let private everyOperator =
    header
    + """
let a_clip = clip(close, 95, 105)
let a_fill = fill_nan(volume, 0)
let a_lag = lag(close, 2)
let a_diff = diff(close, 3)
let a_ret = return(close, 2)
let a_logret = log_return(close, 1)
let a_mean = mean(close, 4)
let a_std = std(close, 5)
let a_min = min(low, 3)
let a_max = max(high, 3)
let a_sum = sum(volume, 4)
let a_z = zscore(close, 6)
let a_sma = sma(close, 5)
let a_ema = ema(close, 4)
let a_roc = roc(close, 3)
let a_mom = momentum(close, 3)
let a_rsi = rsi(close, 5)
let a_macd = macd(close, 3, 6, 2)
let a_macds = macd_signal(close, 3, 6, 2)
let a_macdh = macd_hist(close, 3, 6, 2)
let a_bbu = bb_upper(close, 5, 2)
let a_bbm = bb_middle(close, 5, 2)
let a_bbl = bb_lower(close, 5, 2)
let a_cci = cci(period: 5)
let a_stk = stoch_k()
let a_std2 = stoch_d()
let a_srk = stochrsi_k(close)
let a_srd = stochrsi_d(close)
let a_atr = atr(period: 4)
let a_natr = natr(period: 4)
let a_obv = obv()
let a_mfi = mfi(period: 4)
let a_bop = bop()
let a_rank = xs_rank(a_ret)
let a_pct = xs_percentile(a_ret)
let a_xz = xs_zscore(a_ret)
let a_dm = xs_demean(a_ret)
let a_q = xs_quantile(a_ret, 3)
let a_qd = xs_quantile(a_ret, 3, "date")
let a_arith = (a_sma - a_ema) / a_std * 2 + abs(a_diff) - sqrt(a_sum) + log(close) ^ 2 + least(a_min, a_max) - greatest(a_lag, a_clip) + exp(a_logret) + sign(a_dm) * a_xz + fill_nan(a_q, 0) - a_qd + a_macd + a_macds + a_macdh + a_bbu + a_bbm + a_bbl + a_stk + a_std2 + a_srk + a_srd + a_atr + a_natr + a_obv + a_mfi + a_bop + a_roc + a_z + a_fill + a_mean
let a_logic = if a_rsi > 50 and not (a_cci < 0) or a_mom >= 0 and a_ema <= a_sma or a_ret == 0 or a_ret != 1 then a_rank else -a_pct
signal s = a_arith + a_logic
portfolio long top 2 by s, short bottom 2 by s
"""

// a random OHLCV panel with gaps: each asset lists late, pauses and may stop early
let private randomPanel (assets: int) (bars: int) (seed: int) =
    let random = Random seed
    let n = assets * bars

    let o, h, l, c, v =
        Array.zeroCreate n, Array.zeroCreate n, Array.zeroCreate n, Array.zeroCreate n, Array.zeroCreate n

    for a in 0 .. assets - 1 do
        let first = random.Next(0, bars / 4)
        let mutable price = 100.0

        for t in 0 .. bars - 1 do
            let i = t * assets + a
            let missing = t < first || random.NextDouble() < 0.05

            if missing then
                for column: float array in [ o; h; l; c; v ] do
                    column[i] <- nan
            else
                let next = price * (1.0 + (random.NextDouble() - 0.5) * 0.06)
                o[i] <- price
                c[i] <- next
                h[i] <- max price next * (1.0 + random.NextDouble() * 0.01)
                l[i] <- min price next * (1.0 - random.NextDouble() * 0.01)

                v[i] <-
                    if random.NextDouble() < 0.1 then
                        0.0
                    else
                        random.NextDouble() * 1000.0

                price <- next

    let times = Array.init bars (fun t -> int64 t * 3_600_000L)
    let symbols = Array.init assets (fun a -> $"A%d{a}")

    new Panel(
        "random",
        Interval.Parse "1h",
        Collections.Immutable.ImmutableArray.Create<string> symbols,
        Collections.Immutable.ImmutableArray.Create<string>([| "open"; "high"; "low"; "close"; "volume" |]),
        new ArrayColumnStore(times, [| o; h; l; c; v |])
    )

// every node's values, evaluated in blocks of the given number of bars and laid end to end
let private evaluateInBlocks (plan: StrategyPlan) (panel: Panel) (blockBars: int) =
    let roots = [ 0 .. plan.Nodes.Length - 1 ]

    let evaluator =
        PlanEvaluator(plan, panel, plan.DefaultParameters(), roots, blockBars)

    let values = roots |> List.map (fun _ -> ResizeArray<float>()) |> Array.ofList
    let mutable rows = evaluator.Advance()

    while rows > 0 do
        for node in roots do
            values[node].AddRange(evaluator.Values(node).ToArray())

        rows <- evaluator.Advance()

    values |> Array.map (fun v -> v.ToArray())

let private sameBits (x: float array) (y: float array) =
    x.Length = y.Length
    && Array.forall2
        (fun (p: float) (q: float) -> BitConverter.DoubleToInt64Bits p = BitConverter.DoubleToInt64Bits q)
        x
        y

[<Fact>]
let ``every operator gives the same bits whatever the block size, down to one bar at a time`` () =
    let plan = compileOk everyOperator

    let property =
        Prop.forAll
            (Arb.fromGen (
                gen {
                    let! assets = Gen.choose (1, 5)
                    let! bars = Gen.choose (30, 90)
                    let! seed = Gen.choose (0, 1_000_000)
                    let! block = Gen.choose (2, 40)
                    return assets, bars, seed, block
                }
            ))
            (fun (assets, bars, seed, block) ->
                use panel = randomPanel assets bars seed

                let whole =
                    BatchEvaluator.Evaluate(plan, panel, plan.DefaultParameters(), [ 0 .. plan.Nodes.Length - 1 ])

                let single = evaluateInBlocks plan panel 1
                let blocks = evaluateInBlocks plan panel block

                [ 0 .. plan.Nodes.Length - 1 ]
                |> List.forall (fun node ->
                    let batch = whole[node] |> Option.ofObj |> Option.defaultValue [||]
                    sameBits batch single[node] && sameBits batch blocks[node]))

    Check.One(Config.QuickThrowOnFailure.WithMaxTest 60, property)

[<Fact>]
let ``a forward-looking label cannot be evaluated a block at a time`` () =
    let plan =
        compileOk (
            header
            + "label next = forward_return(close, 1)\nsignal s = return(close, 1)\nportfolio long top 1 by s\n"
        )

    let label = plan.Named |> Seq.find (fun n -> n.Name = "next")
    use panel = randomPanel 2 40 7

    let evaluator =
        PlanEvaluator(plan, panel, plan.DefaultParameters(), [ label.Node ], 10)

    let error = Assert.Throws<PlanException>(fun () -> evaluator.Advance() |> ignore)
    Assert.Contains("looks ahead", error.Message)

// The expected numbers are the output of shared/peers/backtest_numpy.py (`run.sh backtest`, numpy 1.24.2,
// numba 0.56.4) on the same generated arrays (input SHA-256 ddcd29e2… daily, 025ef03a… single asset).
let private referenceRun (name: string) (returns: float array) (assets: int) (interval: string) (threads: int) =
    let path = Path.Combine(repoRoot, "bench", "strategies", name + ".strat")
    let plan = compileOk (File.ReadAllText path)
    let bars = returns.Length / assets
    let close = Array.zeroCreate returns.Length

    for i in 0 .. returns.Length - 1 do
        close[i] <- (if i < assets then 100.0 else close[i - assets]) * (1.0 + returns[i])

    let step = (Interval.Parse interval).Milliseconds
    let times = Array.init bars (fun t -> int64 t * step)

    use panel =
        new Panel(
            "reference",
            Interval.Parse interval,
            Collections.Immutable.ImmutableArray.CreateRange(Seq.init assets (fun a -> $"A%02d{a}")),
            Collections.Immutable.ImmutableArray.Create<string>([| "open"; "high"; "low"; "close" |]),
            new ArrayColumnStore(times, [| close; close; close; close |])
        )

    use run = PreparedRun.Prepare(plan, panel)
    run.Weights(run.Defaults, RunSettings(Threads = threads))

// the daily reference workload with another portfolio, run with `threads` (0: two where the machine has them)
let private dailyRun (portfolio: string) (threads: int) =
    let text =
        File.ReadAllLines(Path.Combine(repoRoot, "bench", "strategies", "xs_momentum_daily.strat"))
        |> Array.map (fun line -> if line.StartsWith "portfolio " then portfolio else line)
        |> String.concat "\n"

    let plan = compileOk text
    let returns = ReferenceData.PanelReturns false
    let close = Array.zeroCreate returns.Length

    for i in 0 .. returns.Length - 1 do
        close[i] <- (if i < 100 then 100.0 else close[i - 100]) * (1.0 + returns[i])

    use panel =
        new Panel(
            "reference",
            Interval.Parse "1d",
            Collections.Immutable.ImmutableArray.CreateRange(Seq.init 100 (fun a -> $"A%02d{a}")),
            Collections.Immutable.ImmutableArray.Create<string>([| "open"; "high"; "low"; "close" |]),
            new ArrayColumnStore(Array.init 3000 (fun t -> int64 t * 86_400_000L), [| close; close; close; close |])
        )

    use run = PreparedRun.Prepare(plan, panel)
    run.Weights(run.Defaults, RunSettings(Threads = threads))

let private close (expected: float) (actual: float) =
    Assert.True(abs (actual - expected) <= 1e-9 * abs expected, $"expected %.17g{expected}, found %.17g{actual}")

[<Fact>]
let ``the daily cross-sectional momentum workload gives the numpy reference's numbers`` () =
    let run =
        referenceRun "xs_momentum_daily" (ReferenceData.PanelReturns false) 100 "1d" 0

    close -1.2977476115036082 run.Metrics.LogTotalReturn
    close -0.7054461389924535 run.Metrics.Sharpe
    close 0.7938993137176241 run.Metrics.MaxDrawdown
    close 1.5793904612398595 run.Metrics.MaxDrawdownLog
    close 1531.4 run.Result.TurnoverTotal
    Assert.Equal(2979, run.Result.Returns.Length)

[<Fact>]
let ``the single-asset SMA crossover workload gives the numba reference's numbers`` () =
    let run = referenceRun "sma_crossover" (ReferenceData.SingleReturns()) 1 "1m" 0
    close -71.56533325952061 run.Metrics.LogTotalReturn
    close -14.344722060991026 run.Metrics.Sharpe
    close 71.59097523714313 run.Metrics.MaxDrawdownLog
    Assert.Equal(4999950, run.Result.Returns.Length)
    Assert.Equal(137712, run.Result.PositionChanges)

[<Fact>]
let ``a run on two threads gives the one-thread run's numbers bit for bit`` () =
    // the legs' inputs reach the second thread written there by the evaluator (a computed signal, also read by
    // another series; quantile buckets) or copied (a data column read in place)
    for portfolio in
        [
            "portfolio long top k by momentum, short bottom k by momentum, equal weight"
            "let twice = momentum * 2\nportfolio long top k by twice, short bottom k by momentum, equal weight"
            "portfolio long top k by close, short bottom k by momentum, equal weight"
            "portfolio long quantile 5 of 5 by momentum, short quantile 1 of 5 by momentum, proportional weight"
            "portfolio long when momentum > 0.05, short when momentum < -0.05"
        ] do
        let two = dailyRun portfolio 0
        let one = dailyRun portfolio 1
        Assert.Equal<float>(one.Result.Returns, two.Result.Returns)
        Assert.Equal(one.Result.TurnoverTotal, two.Result.TurnoverTotal)
        Assert.Equal(one.Result.PositionChanges, two.Result.PositionChanges)

[<Fact>]
let ``a single asset's threshold legs decided on the second thread give the one-thread run's numbers`` () =
    // 100,000 bars: more than two blocks of 32,768, so that the run streams on two threads
    let returns = ReferenceData.SingleReturns 100_000
    let two = referenceRun "sma_crossover" returns 1 "1m" 0
    let one = referenceRun "sma_crossover" returns 1 "1m" 1
    Assert.True(two.Result.PositionChanges > 1000)
    Assert.Equal<float>(one.Result.Returns, two.Result.Returns)
    Assert.Equal(one.Result.PositionChanges, two.Result.PositionChanges)

[<Fact>]
let ``a backtest with rank hysteresis reports the turnover it saved against full rebalancing`` () =
    let plan =
        compileOk (
            header
            + "signal s = close\nportfolio long top 1 by s\nrebalance every bar, keep while rank within 2\ncosts fee 0 bps\n"
        )

    // closes by bar: A0 leads, then falls to second (kept), then to third (replaced by A2)
    let close = [| 3.0; 2.0; 1.0; 2.0; 3.0; 1.0; 1.0; 2.0; 3.0; 1.0; 2.0; 3.0 |]
    let times = Array.init 4 (fun t -> int64 t * 86_400_000L)

    use panel =
        new Panel(
            "hand",
            Interval.Parse "1d",
            Collections.Immutable.ImmutableArray.Create<string>([| "A0"; "A1"; "A2" |]),
            Collections.Immutable.ImmutableArray.Create<string>([| "open"; "high"; "low"; "close" |]),
            new ArrayColumnStore(times, [| close; close; close; close |])
        )

    use run = PreparedRun.Prepare(plan, panel)
    use result = run.Backtest(run.Defaults, RunSettings.Default)

    let savings =
        match result.Hysteresis with
        | null -> failwith "no hysteresis report"
        | h -> h

    // with the buffer: A0, A0, A2, A2 → 1 + 0 + 2 + 0; fully rebalanced: A0, A1, A2, A2 → 1 + 2 + 2 + 0
    Assert.Equal(3.0, savings.Kept)
    Assert.Equal(5.0, savings.Full)
    Assert.Equal(0.4, savings.Saved, 12)
    Assert.Contains(result.Notes, fun n -> n.Contains "40.0% saved")

[<Fact>]
let ``a backtest reports its progress in order up to the end`` () =
    let plan =
        compileOk (
            "strategy t\ndata random\nbar 1h\nsignal s = return(close, 3)\nportfolio long top 1 by s, short bottom 1 by s\n"
        )

    use panel = randomPanel 3 20_000 11
    let heard = ResizeArray<float>()

    use run = PreparedRun.Prepare(plan, panel)

    run.Backtest(run.Defaults, RunSettings.Default, progress = Action<float>(fun f -> heard.Add f))
    |> ignore
    // 20,000 bars of 3 assets stream in several blocks, each reported
    Assert.True(heard.Count > 2, $"heard %A{List.ofSeq heard}")
    Assert.True(Seq.pairwise heard |> Seq.forall (fun (x, y) -> y >= x), "progress went backwards")
    Assert.Equal(1.0, Seq.last heard)

[<Fact>]
let ``no series changes on any bar when the data is cut right after it`` () =
    // the empirical lookahead guard: every decision input at bar t is the same whether or not later bars exist
    let plan = compileOk everyOperator

    let property =
        Prop.forAll
            (Arb.fromGen (
                gen {
                    let! assets = Gen.choose (1, 4)
                    let! bars = Gen.choose (40, 80)
                    let! seed = Gen.choose (0, 1_000_000)
                    let! cut = Gen.choose (15, 39) // the longest window (14 bars) must fit the cut data
                    return assets, bars, seed, cut
                }
            ))
            (fun (assets, bars, seed, cut) ->
                use panel = randomPanel assets bars seed
                use head = panel.Slice(0, cut)
                let roots = [ 0 .. plan.Nodes.Length - 1 ]
                let whole = BatchEvaluator.Evaluate(plan, panel, plan.DefaultParameters(), roots)
                let early = BatchEvaluator.Evaluate(plan, head, plan.DefaultParameters(), roots)

                roots
                |> List.forall (fun node ->
                    match whole[node], early[node] with
                    | null, null -> true
                    | null, _
                    | _, null -> false
                    | w, e -> sameBits w[.. cut * assets - 1] e))

    Check.One(Config.QuickThrowOnFailure.WithMaxTest 60, property)

[<Fact>]
let ``quantile legs trade the buckets of their signal`` () =
    let plan =
        compileOk (
            header
            + "signal s = close\nportfolio long quantile 2 of 2 by s, short quantile 1 of 2 by s\n"
        )

    // last closes 1, 4, 2, 3: the top half (assets 1 and 3) is bucket 2, long; the bottom half short;
    // each side holds half the gross, split equally
    let close = [| 2.0; 2.0; 2.0; 2.0; 1.0; 4.0; 2.0; 3.0 |]
    let times = [| 0L; 86_400_000L |]

    use panel =
        new Panel(
            "hand",
            Interval.Parse "1d",
            Collections.Immutable.ImmutableArray.Create<string>([| "A0"; "A1"; "A2"; "A3" |]),
            Collections.Immutable.ImmutableArray.Create<string>([| "open"; "high"; "low"; "close" |]),
            new ArrayColumnStore(times, [| close; close; close; close |])
        )

    use run = PreparedRun.Prepare(plan, panel)
    let targets = run.LastTargets run.Defaults
    Assert.Equal<float>([| -0.25; 0.25; -0.25; 0.25 |], targets)
    // the backtest runs on the same buckets
    run.Backtest(run.Defaults, RunSettings.Default) |> ignore

[<Fact>]
let ``a plan's execution settings reach the backtest's ledger`` () =
    let plan =
        compileOk (
            "strategy t \"test\"\ndata daily_top100\nbar 1h\nsignal s = return(close, 1)\nportfolio long top 1 by s\n"
            + "costs maker 2 bps, taker 6 bps, slippage 3 bps\n"
            + "execution limit_maker(offset: 0.02%, timeout: 600s, retries: 3, shrink: 0.25), min_notional round_up, participation 5%\n"
        )

    use panel = randomPanel 3 60 11

    use prepared = PreparedRun.Prepare(plan, panel)

    let run =
        prepared.Backtest(prepared.Defaults, RunSettings(MinNotional = Nullable 25.0))

    let o = run.Options
    Assert.Equal(StrategyLab.Runtime.Backtest.OrderKind.LimitMaker, o.Orders)
    Assert.Equal(0.0002, o.LimitOffset, 15)
    Assert.Equal(600.0, o.LimitTimeoutSeconds)
    Assert.Equal(3, o.LimitRetries)
    Assert.Equal(0.25, o.LimitShrink)
    Assert.True(o.RoundUpToMinNotional)
    Assert.Equal(25.0, o.MinNotional)
    Assert.Equal(0.05, o.MaxParticipation, 15)
    Assert.Equal((0.0002, 0.0006, 0.0003), (o.MakerFee, o.TakerFee, o.Slippage))
    Assert.Equal(StrategyLab.Runtime.Backtest.FillTiming.NextOpen, o.Timing)
