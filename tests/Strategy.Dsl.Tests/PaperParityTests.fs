/// Parity: one recorded market stream through the backtest and through the paper runner decides the same
/// target weights and sends the same orders, bar for bar
module StrategyLab.Strategy.Dsl.Tests.PaperParityTests

open System
open System.Collections.Generic
open System.Collections.Immutable
open System.IO
open Xunit
open StrategyLab.Runtime.Backtest
open StrategyLab.Runtime.Data
open StrategyLab.Runtime.Execution
open StrategyLab.Runtime.Runs
open StrategyLab.Runtime.Trading
open StrategyLab.Strategy.Dsl.Tests.Support

let private strategy =
    """strategy parity "paper against backtest"
data daily_top100
bar 1d
universe all
signal momentum = return(close, 10)
portfolio long top 2 by momentum, short bottom 2 by momentum, equal weight
rebalance every 2
risk max_position 20% of nav
costs fee 5 bps, slippage 2 bps
"""

/// The last `bars` bars of the first `assets` assets of daily_top100 that have a close at every one of them
let private recorded bars assets =
    let store = DataStore(Path.Combine(repoRoot, "data"))
    use full = store.ParseCsv(store.Catalog.Get "daily_top100", ImportLog())
    use tail = full.Slice(full.TimeCount - bars, full.TimeCount)

    let chosen =
        [ 0 .. tail.AssetCount - 1 ]
        |> List.filter (fun a -> tail.Series("close", a) |> Array.forall (fun x -> not (Double.IsNaN x)))
        |> List.truncate assets

    let columns =
        tail.Columns
        |> Seq.map (fun c ->
            Array.init (bars * chosen.Length) (fun k -> tail[c, k / chosen.Length, chosen[k % chosen.Length]]))
        |> Array.ofSeq

    new Panel(
        "recorded",
        tail.Interval,
        ImmutableArray.CreateRange(chosen |> List.map (fun a -> tail.Symbols[a])),
        tail.Columns,
        new ArrayColumnStore(tail.Times.ToArray(), columns)
    )

/// The backtest's venue, recording the orders the engine sends at each bar
type private RecordingPort(inner: SimulatedExchange) =
    member val Orders = List<int * WorkingOrder>()
    member val Bar = -1 with get, set

    interface IVenuePort with
        member _.Connect events = inner.Connect events

        member this.Open(bar: inref<BarRow>) =
            this.Bar <- bar.Index
            inner.Open(&bar)

        member this.Submit(order: inref<WorkingOrder>) =
            this.Orders.Add((this.Bar, order))
            inner.Submit(&order)

        member this.Match(order: inref<WorkingOrder>, quote: inref<BarQuote>) =
            this.Orders.Add((this.Bar, order))
            inner.Match(&order, &quote)

        member _.Liquidate() = inner.Liquidate()

let private sameTarget (x: float) (y: float) =
    (Double.IsNaN x && Double.IsNaN y)
    || BitConverter.DoubleToInt64Bits x = BitConverter.DoubleToInt64Bits y

/// The same strategy with post-only limit orders 0.2% from the close, re-quoted twice closer, the rest at market
let private limitMaker =
    strategy.Replace("parity ", "parity_limits ")
    + "execution limit_maker(offset: 0.2%, timeout: 30s, retries: 2, shrink: 0.5), fallback market\n"

let private parity (text: string) =
    use panel = recorded 120 8
    let plan = compileOk text
    use run = PreparedRun.Prepare(plan, panel)
    let parameters = run.Defaults
    let settings = RunSettings.Default

    let instruments =
        panel.Symbols
        |> Seq.map (fun s -> Instrument(s, s, "USDT", 0.0001m, 0.001m, 0.001m, 5m, 20))
        |> Array.ofSeq

    let options =
        run.LedgerOptions(
            parameters,
            settings,
            instruments |> Seq.map (fun i -> KeyValuePair(i.Symbol, i)) |> Dictionary
        )

    // the backtest: its block-computed targets stepped through the engine against the simulated exchange
    use backtest = run.Backtest(parameters, settings)
    let weights = backtest.TargetWeights.ToArray()
    let a = panel.AssetCount
    let marks = Array.init panel.TimeCount (fun t -> t % 2 = 0)

    let port =
        RecordingPort(
            SimulatedExchange(
                instruments,
                options.InitialCapital,
                panel.Interval,
                LedgerBacktest.FillModel options,
                LedgerBacktest.FeeModel options,
                journal = false
            )
        )

    let setup =
        LedgerBacktest.Setup(
            panel.Symbols,
            instruments,
            panel.Interval,
            options,
            port,
            options.InitialCapital,
            AlertList()
        )

    let engine = ExecutionEngine(setup)
    let backtestEquity = Array.zeroCreate panel.TimeCount

    for t in 0 .. panel.TimeCount - 1 do
        let bar = BarRow.Of(panel, t)
        engine.Step(&bar, ReadOnlySpan(weights, t * a, a), marks[t])
        backtestEquity[t] <- engine.Ledger.Mark(ref 0.0, ref 0.0)

    // the engine stepped here is the ledger backtest itself
    let ledger = LedgerBacktest.Run(panel, ReadOnlySpan weights, options, marks)
    Assert.Equal<float>(ledger.Equity, engine.Result().Equity)

    // the paper runner: the same bars, one at a time, against the paper exchange
    let journalPath = Path.Combine(Path.GetTempPath(), $"parity-{Guid.NewGuid():N}.db")

    try
        use journal = new SqliteJournal(journalPath)
        let market = PaperMarket(instruments, options, panel.Interval)

        let deployment =
            journal.Open(Deployment("parity", plan.ContentHash(), "paper"), true)

        let runner =
            TradingRunner
                .StartAsync(
                    TradingSetup(deployment, panel.Symbols, panel.Interval, options, Market = market),
                    market.Exchange,
                    journal,
                    PlanTargetSource(plan)
                )
                .Result

        let history = BarHistory("recorded", panel.Interval, panel.Symbols, panel.Columns)
        let mutable ordersSeen = 0

        for t in 0 .. panel.TimeCount - 1 do
            history.Append(panel, t)

            let step =
                match runner.StepAsync(history).Result with
                | null -> failwith $"bar {t} was not stepped"
                | s -> s

            for i in 0 .. a - 1 do
                Assert.True(
                    sameTarget weights[t * a + i] step.Decision.Targets[i],
                    $"bar {t} asset {panel.Symbols[i]}: backtest {weights[t * a + i]}, paper {step.Decision.Targets[i]}"
                )

            Assert.Equal(marks[t], step.Decision.Rebalance)

            let expected =
                port.Orders
                |> Seq.filter (fun (bar, _) -> bar = t)
                |> Seq.choose (fun (_, o) ->
                    let symbol = panel.Symbols[o.Asset]
                    let reference = if o.Type = OrderType.Limit then o.Ladder.Reference else 0.0
                    let intent = OrderIntent(o.Asset, o.Quantity, reference, o.Purpose, o.ReduceOnly)
                    let id = ClientOrderIds.For(deployment.Key, panel.Times[t], symbol, o.Purpose, 0)
                    setup.Policy.Request(&intent, instruments[o.Asset], id, 0) |> Option.ofObj)
                |> List.ofSeq

            Assert.Equal<OrderRequest list>(expected, List.ofSeq step.Orders)
            ordersSeen <- ordersSeen + step.Orders.Count
            // fills cross the venue as decimals on the instruments' steps: the books agree to far below a cent
            Assert.InRange(abs (step.Equity - backtestEquity[t]), 0.0, 1e-9 * backtestEquity[t])

        Assert.True(ordersSeen > 20, $"only {ordersSeen} orders: the comparison says little")
        Assert.Equal(ordersSeen, journal.Orders(deployment).Count)
        journal.Orders(deployment) |> Seq.map (fun o -> o.Status) |> List.ofSeq
    finally
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools()

        for suffix in [ ""; "-wal"; "-shm" ] do
            File.Delete(journalPath + suffix)

[<Fact>]
let ``a recorded stream through the backtest and the paper runner gives the same targets and orders bar for bar`` () =
    parity strategy |> ignore

[<Fact>]
let ``limit orders fill in paper as in the backtest: the quotes that fit in the bar, then the market fallback`` () =
    let statuses = parity limitMaker
    // the comparison covers quotes the bar reached and orders that went to the fallback, not only one kind
    Assert.Contains(JournalOrderStatus.Filled, statuses)

let private stateful =
    """strategy stepped "state carried from bar to bar"
data daily_top100
bar 1d
universe all
param k = 2 in 1..3
signal score = ema(return(close, 3), 5) + rsi(close, 7) / 1000
portfolio long top k by score, short bottom k by score, equal weight
rebalance every 1d, keep while rank within k + 2
risk max_position 30% of nav
costs fee 5 bps
"""

[<Fact>]
let ``stepping the plan one bar at a time decides what preparing the whole history at every bar decides`` () =
    use panel = recorded 60 8
    let plan = compileOk stateful
    let parameters = readOnlyDict [ "k", "3" ]
    let stepped = PlanTargetSource(plan, parameters)
    let history = BarHistory("recorded", panel.Interval, panel.Symbols, panel.Columns)
    let mutable steppedBars = 0

    for t in 0 .. panel.TimeCount - 1 do
        history.Append(panel, t)
        let decision = stepped.Decide history

        if stepped.Stepped then
            steppedBars <- steppedBars + 1

        // the history prepared as a run of its own, its last bar's targets read
        if history.Count >= 2 then
            use whole = history.ToPanel()
            use run = PreparedRun.Prepare(plan, whole)
            let p = run.Parse parameters
            let expected = run.LastTargets p

            for i in 0 .. panel.AssetCount - 1 do
                Assert.True(
                    sameTarget expected[i] decision.Targets[i],
                    $"bar {t} asset {panel.Symbols[i]}: prepared {expected[i]}, stepped {decision.Targets[i]}"
                )

            Assert.Equal(run.RebalancesAtLastBar p, decision.Rebalance)

    // every bar from the one the longest window fits in on was stepped, not prepared
    Assert.True(steppedBars >= panel.TimeCount - 8, $"only {steppedBars} of {panel.TimeCount} bars were stepped")
