using System.Diagnostics;
using System.Globalization;
using StrategyLab.Exchanges.Binance.Http;
using StrategyLab.Runtime.Data;
using StrategyLab.Runtime.Data.Synthetic;
using StrategyLab.Runtime.Execution;
using StrategyLab.Runtime.Runs;
using StrategyLab.Runtime.Trading;

namespace StrategyLab.Bench;

/// <summary>
/// Close-to-order latency of the trading runner: the daily reference momentum over 100 assets, a warm history of
/// <c>--history</c> bars, then <c>--bars</c> bars stepped one at a time against the paper exchange. For each bar, the
/// time from the bar's arrival (the runner's step starts) to its first and to its last order signed as the Binance client
/// signs it (HMAC-SHA256), ready to leave: the fills of the last bar journaled, the plan's decision (stepped by one bar), the
/// engine (risk rules, policy), the intents and the orders journaled. With the journal on disk (WAL; the first order
/// fsynced alone before it is sent, the others together before the second is) and in memory, to show what the disk costs; and the plan's decision alone, timed apart on the
/// same bars. With <c>--warm-steps N</c> the runner first steps N bars untimed, as a runner that has been trading a
/// while has its code compiled to its final tier and its buffers grown.
/// </summary>
internal static class LatencyBenchmark
{
    public static void Run(string[] args)
    {
        string? Option(string name) => args.SkipWhile(a => a != name).Skip(1).FirstOrDefault();
        var history = int.Parse(Option("--history") ?? "300", CultureInfo.InvariantCulture);
        var bars = int.Parse(Option("--bars") ?? "200", CultureInfo.InvariantCulture);
        var warmSteps = int.Parse(Option("--warm-steps") ?? "0", CultureInfo.InvariantCulture);
        var plan = BacktestBenchmark.Compile(BacktestBenchmark.FindRoot(), "xs_momentum_daily");
        var r = ReferenceData.PanelReturns(minute: false);
        const int Assets = 100;
        var count = Math.Min(r.Length / Assets, history + warmSteps + bars);
        using var panel = BacktestBenchmark.Prices(r[..(count * Assets)], BacktestBenchmark.TimeAxis(count, "1d"), Assets, "1d", new double[count * Assets]);
        var decisions = Decisions(plan, panel, history);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"the plan's decision alone (stepped by one bar) over {history}+ bars of {Assets} assets: p50 {P(decisions, 0.5):F3} ms, p99 {P(decisions, 0.99):F3} ms"));
        foreach (var (name, path) in new[] { ("disk", Path.Combine(Path.GetTempPath(), $"latency-{Guid.NewGuid():N}.db")), ("memory", ":memory:") })
        {
            var (first, last, orders) = Measure(plan, panel, history, warmSteps, path);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"journal on {name}: {first.Count} bars after {warmSteps} untimed, {orders} orders; close to first order p50 {P(first, 0.5):F3} ms, p99 {P(first, 0.99):F3} ms, max {P(first, 1):F3} ms; to last order p50 {P(last, 0.5):F3} ms, p99 {P(last, 0.99):F3} ms"));
            if (path != ":memory:")
            {
                Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
                foreach (var suffix in new[] { "", "-wal", "-shm" })
                    File.Delete(path + suffix);
            }
        }
    }

    private static (List<double> First, List<double> Last, int Orders) Measure(Runtime.Plan.StrategyPlan plan, Panel panel, int warm, int warmSteps, string journalPath)
    {
        using var journal = new SqliteJournal(journalPath);
        using var run = PreparedRun.Prepare(plan, panel);
        var options = run.LedgerOptions(run.Defaults, RunSettings.Default);
        var market = new PaperMarket(SimulatedExchange.Unfiltered(panel.Symbols), options, panel.Interval);
        var venue = new TimedExchange(market);
        var deployment = journal.Open(new Deployment(plan.Name, plan.ContentHash(), "latency"), fresh: true);
        var runner = TradingRunner.StartAsync(new TradingSetup(deployment, panel.Symbols, panel.Interval, options) { Market = venue }, venue, journal,
            new PlanTargetSource(plan)).GetAwaiter().GetResult();
        var bars = new BarHistory(panel.Name, panel.Interval, panel.Symbols, panel.Columns);
        List<double> first = [], last = [];
        var orders = 0;
        for (var t = 0; t < panel.TimeCount; t++)
        {
            bars.Append(panel, t);
            if (t < warm)
                continue;
            venue.Placed.Clear();
            venue.Signatures.Clear();
            var start = Stopwatch.GetTimestamp();
            var step = runner.StepAsync(bars).GetAwaiter().GetResult();
            if (t < warm + warmSteps)
                continue;
            orders += step?.Orders.Count ?? 0;
            if (venue.Placed.Count == 0)
                continue;
            first.Add(Stopwatch.GetElapsedTime(start, venue.Placed[0]).TotalMilliseconds);
            last.Add(Stopwatch.GetElapsedTime(start, venue.Placed[^1]).TotalMilliseconds);
        }
        return (first, last, orders);
    }

    private static List<double> Decisions(Runtime.Plan.StrategyPlan plan, Panel panel, int warm)
    {
        var source = new PlanTargetSource(plan);
        var bars = new BarHistory(panel.Name, panel.Interval, panel.Symbols, panel.Columns);
        var times = new List<double>();
        for (var t = 0; t < panel.TimeCount; t++)
        {
            bars.Append(panel, t);
            if (t < warm)
                continue;
            var start = Stopwatch.GetTimestamp();
            source.Decide(bars);
            times.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
        }
        return times;
    }

    private static double P(List<double> values, double q)
    {
        var sorted = values.Order().ToList();
        return sorted.Count == 0 ? double.NaN : sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(q * sorted.Count) - 1)];
    }

    // the paper venue, noting when each order reaches it (the runner hands a paper market the engine's order itself)
    private sealed class TimedExchange(PaperMarket market) : IExchange, IBarMarket
    {
        private readonly SimulatedExchange venue = market.Exchange;

        public List<long> Placed { get; } = [];

        public string Venue => venue.Venue;

        public DateTimeOffset Now => venue.Now;

        public ValueTask<IReadOnlyList<Instrument>> Instruments(CancellationToken cancel = default) => venue.Instruments(cancel);

        public ValueTask<IReadOnlyList<VenueBar>> Bars(string symbol, Interval interval, long from, long to, CancellationToken cancel = default) =>
            venue.Bars(symbol, interval, from, to, cancel);

        public ValueTask<IReadOnlyList<Balance>> Balances(CancellationToken cancel = default) => venue.Balances(cancel);

        public ValueTask<IReadOnlyList<VenuePosition>> Positions(CancellationToken cancel = default) => venue.Positions(cancel);

        public ValueTask<IReadOnlyList<OrderState>> OpenOrders(string? symbol = null, CancellationToken cancel = default) => venue.OpenOrders(symbol, cancel);

        public ValueTask<OrderState?> Order(string symbol, string clientOrderId, CancellationToken cancel = default) => venue.Order(symbol, clientOrderId, cancel);

        public ValueTask<OrderState> Place(OrderRequest order, CancellationToken cancel = default)
        {
            Stamp(order);
            return venue.Place(order, cancel);
        }

        public void Trade(in BarRow bar) => market.Trade(bar);

        public OrderState Place(OrderRequest request, in WorkingOrder order)
        {
            Stamp(request);
            return market.Place(request, order);
        }

        // the order is signed as the Binance client signs it before it leaves: its parameters, recvWindow and timestamp,
        // HMAC-SHA256 with the secret; the time is taken once the signed query is ready to go
        private void Stamp(OrderRequest order)
        {
            var query = string.Create(CultureInfo.InvariantCulture,
                $"symbol={order.Symbol}&side={(order.Side == OrderSide.Buy ? "BUY" : "SELL")}&type={order.Type.ToString().ToUpperInvariant()}&quantity={order.Quantity}{(order.Price is { } price ? $"&price={price}" : "")}&newClientOrderId={order.ClientOrderId}&newOrderRespType=RESULT&recvWindow=5000&timestamp={DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()}");
            Signatures.Add(BinanceSigner.Sign(Secret, query));
            Placed.Add(Stopwatch.GetTimestamp());
        }

        private const string Secret = "latency-benchmark-secret-not-a-real-key-0123456789abcdef";

        public List<string> Signatures { get; } = [];

        public ValueTask<OrderState> Cancel(string symbol, string clientOrderId, CancellationToken cancel = default) => venue.Cancel(symbol, clientOrderId, cancel);

        public ValueTask<IReadOnlyList<ExecutionReport>> Executions(string symbol, long since, CancellationToken cancel = default) =>
            venue.Executions(symbol, since, cancel);

        public ValueTask<IReadOnlyList<FundingPayment>> Funding(long since, CancellationToken cancel = default) => venue.Funding(since, cancel);
    }
}
